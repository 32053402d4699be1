package imaging_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"wxcheckout/imaging"
)

// Tiny valid WebP files (1×1): lossy, lossless, lossy with alpha.
var (
	webpLossy     = b64("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
	webpLossless  = b64("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	webpWithAlpha = b64("UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==")
)

func b64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// picture is a w×h gradient, opaque or with a transparent corner.
func picture(w, h int, transparent bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	if transparent {
		img.SetNRGBA(0, 0, color.NRGBA{})
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeGIF(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAcceptedTypesAreReencoded(t *testing.T) {
	cases := []struct {
		name   string
		data   []byte
		wantCT string
		w, h   int
	}{
		{"png opaque", encodePNG(t, picture(40, 30, false)), "image/png", 40, 30},
		{"png transparent", encodePNG(t, picture(40, 30, true)), "image/png", 40, 30},
		{"jpeg", encodeJPEG(t, picture(64, 48, false)), "image/jpeg", 64, 48},
		{"gif", encodeGIF(t, picture(20, 10, false)), "image/png", 20, 10},
		{"webp lossy", webpLossy, "image/jpeg", 1, 1},
		{"webp lossless", webpLossless, "image/png", 1, 1},
		{"webp alpha", webpWithAlpha, "image/png", 1, 1},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			img, err := imaging.Decode(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if img.ContentType != tt.wantCT || img.Width != tt.w || img.Height != tt.h {
				t.Errorf("got %s %d×%d, want %s %d×%d", img.ContentType, img.Width, img.Height, tt.wantCT, tt.w, tt.h)
			}
			if len(img.SHA256) != 64 || bytes.Equal(img.Data, tt.data) {
				t.Errorf("sha256 %q; kept the upload's own bytes: %v", img.SHA256, bytes.Equal(img.Data, tt.data))
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(img.Data))
			if err != nil || "image/"+format != img.ContentType || cfg.Width != tt.w {
				t.Errorf("the kept bytes are %s %d wide, %v", format, cfg.Width, err)
			}
			again, _ := imaging.Decode(tt.data)
			if again.SHA256 != img.SHA256 {
				t.Error("the same upload gave different bytes")
			}
		})
	}
	// A transparent pixel survives as transparent.
	img, _ := imaging.Decode(encodePNG(t, picture(4, 4, true)))
	dec, _ := png.Decode(bytes.NewReader(img.Data))
	if _, _, _, a := dec.At(0, 0).RGBA(); a != 0 {
		t.Error("transparency lost")
	}
}

func TestLargePicturesAreScaledDown(t *testing.T) {
	img, err := imaging.Decode(encodeJPEG(t, picture(1500, 600, false)))
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 1200 || img.Height != 480 || img.ContentType != "image/jpeg" {
		t.Errorf("got %s %d×%d, want image/jpeg 1200×480", img.ContentType, img.Width, img.Height)
	}
	img, err = imaging.Decode(encodePNG(t, picture(300, 1500, true)))
	if err != nil || img.Width != 240 || img.Height != 1200 || img.ContentType != "image/png" {
		t.Errorf("tall png → %+v, %v", img, err)
	}
}

// withIHDR rewrites a PNG's declared size (and the chunk's CRC).
func withIHDR(data []byte, w, h uint32) []byte {
	out := bytes.Clone(data)
	binary.BigEndian.PutUint32(out[16:], w)
	binary.BigEndian.PutUint32(out[20:], h)
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return out
}

func TestRefusals(t *testing.T) {
	small := encodePNG(t, picture(1, 1, false))
	var bomb bytes.Buffer // 4100×4100 of nothing: a few kB that would be 16 M pixels
	if err := png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 4100, 4100))); err != nil {
		t.Fatal(err)
	}
	jpg := encodeJPEG(t, picture(64, 48, false))
	gf := encodeGIF(t, picture(20, 10, false))
	cases := []struct {
		name string
		data []byte
		want imaging.Error
	}{
		{"empty", nil, imaging.ErrType},
		{"text", []byte("hello, this is not a picture"), imaging.ErrType},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), imaging.ErrType},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>`), imaging.ErrType},
		{"svg after xml", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), imaging.ErrType},
		{"bmp", append([]byte("BM"), make([]byte, 60)...), imaging.ErrType},
		{"too big", append(bytes.Clone(small), make([]byte, imaging.MaxBytes)...), imaging.ErrTooBig},
		{"header claims 100000×100000", withIHDR(small, 100000, 100000), imaging.ErrDimensions},
		{"header claims 5000×1", withIHDR(small, 5000, 1), imaging.ErrDimensions},
		{"decompression bomb", bomb.Bytes(), imaging.ErrDimensions},
		{"header claims 0×0", withIHDR(small, 0, 0), imaging.ErrCorrupt},
		{"png truncated", small[:len(small)-20], imaging.ErrCorrupt},
		{"png header only", small[:8], imaging.ErrCorrupt},
		{"jpeg truncated", jpg[:len(jpg)/2], imaging.ErrCorrupt},
		{"gif truncated", gf[:len(gf)/2], imaging.ErrCorrupt},
		{"webp truncated", webpLossy[:len(webpLossy)-6], imaging.ErrCorrupt},
		{"riff not webp", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), imaging.ErrType},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			img, err := imaging.Decode(tt.data)
			if !errors.Is(err, tt.want) || img != nil {
				t.Fatalf("Decode = %v, %v; want %v", img, err, tt.want)
			}
			if imaging.Key(err) != string(tt.want) || !strings.HasPrefix(imaging.Key(err), "img_") {
				t.Errorf("Key = %q", imaging.Key(err))
			}
		})
	}
	if len(bomb.Bytes()) > 100_000 {
		t.Errorf("the bomb is %d bytes, meant to be tiny", bomb.Len())
	}
	if imaging.Key(errors.New("other")) != "" {
		t.Error("Key of another error")
	}
}

// FuzzDecode: no input panics, and whatever is accepted is a PNG or JPEG
// of at most MaxOutSide that decodes again.
func FuzzDecode(f *testing.F) {
	f.Add(encodePNG(f, picture(8, 8, true)))
	f.Add(encodeJPEG(f, picture(8, 8, false)))
	f.Add(encodeGIF(f, picture(8, 8, false)))
	f.Add(webpLossy)
	f.Add(webpLossless)
	f.Add(webpWithAlpha)
	f.Add([]byte("<svg/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := imaging.Decode(data)
		if err != nil {
			if imaging.Key(err) == "" {
				t.Fatalf("an error with no message: %v", err)
			}
			return
		}
		if img.Width > imaging.MaxOutSide || img.Height > imaging.MaxOutSide || img.Width < 1 || img.Height < 1 {
			t.Fatalf("kept %d×%d", img.Width, img.Height)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(img.Data))
		if err != nil || "image/"+format != img.ContentType || cfg.Width != img.Width || cfg.Height != img.Height {
			t.Fatalf("kept bytes: %s %+v, %v; described as %s %d×%d", format, cfg, err, img.ContentType, img.Width, img.Height)
		}
	})
}
