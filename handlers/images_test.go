package handlers_test

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"testing"

	"wxcheckout/imaging"
	"wxcheckout/internal/testrig"
)

func TestImagesAreServedAsKept(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	kept, err := imaging.Decode(testPNG(t, 30, 20))
	if err != nil {
		t.Fatal(err)
	}
	id, err := r.Svc.SaveImage(t.Context(), kept)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := r.Svc.SaveImage(t.Context(), kept); again != id {
		t.Errorf("the same picture kept twice: %d and %d", id, again)
	}
	path := fmt.Sprintf("%s/images/%d", r.App.URL, id)
	resp, err := http.Get(path)
	if err != nil {
		t.Fatal(err)
	}
	body := testrig.ReadAll(t, resp)
	etag := `"` + kept.SHA256 + `"`
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("ETag") != etag ||
		h.Get("Content-Security-Policy") != "default-src 'none'" {
		t.Fatalf("GET = %d %v", resp.StatusCode, h)
	}
	if img, err := png.Decode(bytes.NewReader([]byte(body))); err != nil || img.Bounds().Dx() != 30 || body != string(kept.Data) {
		t.Fatalf("body is not the kept picture: %v", err)
	}

	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("If-None-Match", inm)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b := testrig.ReadAll(t, resp); resp.StatusCode != http.StatusNotModified || b != "" || resp.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s = %d with %d bytes", inm, resp.StatusCode, len(b))
		}
	}
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("If-None-Match", `"stale"`)
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 200 {
		t.Errorf("a stale ETag = %d", resp.StatusCode)
	}

	for _, bad := range []string{"999", "0", "01", "-1", "abc", "1.png", "99999999999", "4294967296"} {
		resp, err := http.Get(r.App.URL + "/images/" + bad)
		if err != nil {
			t.Fatal(err)
		}
		testrig.ReadAll(t, resp)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Cache-Control") == "public, max-age=31536000, immutable" {
			t.Errorf("GET /images/%s = %d %q", bad, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	if resp, _ := http.Post(path, "text/plain", nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d", resp.StatusCode)
	}
}
