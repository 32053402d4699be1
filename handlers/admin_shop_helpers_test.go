package handlers_test

import (
	"bytes"
	"compress/zlib"
	"database/sql"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"wxcheckout/internal/testrig"
)

// fileUpload is a file of a multipart form.
type fileUpload struct {
	field, name string
	data        []byte
}

// adminUpload posts a multipart form, as a browser posts a form with a file.
func adminUpload(t *testing.T, r *testrig.Rig, b *http.Client, path string, form url.Values, files ...fileUpload) adminPage {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for _, f := range files {
		part, err := w.CreateFormFile(f.field, f.name)
		if err != nil {
			t.Fatal(err)
		}
		part.Write(f.data)
	}
	w.Close()
	resp, err := b.Post(r.App.URL+path, w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	return adminPage{resp.StatusCode, resp.Header, testrig.ReadAll(t, resp)}
}

// testPNG is a w×h PNG picture.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 7), uint8(y * 5), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// badUploads are pictures the admin must refuse, with the message's key.
func badUploads(t *testing.T) []struct {
	name string
	file fileUpload
	key  string
} {
	small := testPNG(t, 1, 1)
	bomb := bytes.Clone(small) // a 1×1 PNG whose header claims 100000×100000
	binary.BigEndian.PutUint32(bomb[16:], 100000)
	binary.BigEndian.PutUint32(bomb[20:], 100000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	zip := zeroPNG(4097, 600) // a real picture of nothing, too wide: a few kB
	oversized := append(testPNG(t, 4, 4), make([]byte, 2<<20)...)
	big := testPNG(t, 8, 8)
	return []struct {
		name string
		file fileUpload
		key  string
	}{
		{"text", fileUpload{"", "photo.png", []byte("just some text, not a picture")}, "仅支持 PNG、JPEG、GIF 或 WebP 图片"},
		{"html", fileUpload{"", "photo.png", []byte("<!doctype html><script>alert(1)</script>")}, "仅支持 PNG、JPEG、GIF 或 WebP 图片"},
		{"svg", fileUpload{"", "photo.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)}, "仅支持 PNG、JPEG、GIF 或 WebP 图片"},
		{"oversized", fileUpload{"", "big.png", oversized}, "图片超过 2 MB"},
		{"bomb header", fileUpload{"", "bomb.png", bomb}, "图片尺寸过大"},
		{"decompression bomb", fileUpload{"", "zip.png", zip}, "图片尺寸过大"},
		{"corrupt", fileUpload{"", "cut.png", big[:len(big)/2]}, "图片已损坏或不完整"},
	}
}

// emptyCatalogue removes the rig's products: a real shop before its first.
func emptyCatalogue(t *testing.T, r *testrig.Rig) {
	t.Helper()
	driver, dsn := "pgx", r.DatabaseURL
	if path, ok := strings.CutPrefix(r.DatabaseURL, "sqlite:"); ok {
		driver, dsn = "sqlite3", "file:"+path
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM products"); err != nil {
		t.Fatal(err)
	}
}

// withToken is form with the session's CSRF token.
func withToken(t *testing.T, r *testrig.Rig, b *http.Client, form url.Values) url.Values {
	t.Helper()
	out := url.Values{"csrf_token": {adminToken(t, r, b)}}
	for k, v := range form {
		out[k] = v
	}
	return out
}

// zeroPNG is a valid w×h grey PNG of zeros: a decompression bomb, tiny
// on the wire, w×h bytes once decoded.
func zeroPNG(w, h int) []byte {
	chunk := func(out *bytes.Buffer, kind string, data []byte) {
		binary.Write(out, binary.BigEndian, uint32(len(data)))
		out.WriteString(kind)
		out.Write(data)
		binary.Write(out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, w+1) // filter byte 0, then w zero pixels
	for range h {
		z.Write(row)
	}
	z.Close()
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bit depth; colour type 0 (grey)
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk(&out, "IHDR", ihdr)
	chunk(&out, "IDAT", idat.Bytes())
	chunk(&out, "IEND", nil)
	return out.Bytes()
}
