// Package imaging checks an uploaded picture and re-encodes it, so that
// what the app keeps and serves is always its own encoding of pixels it
// decoded itself: never the uploader's bytes, never a type the browser
// could take for a page or a script.
package imaging

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"wxcheckout/models"
)

// Limits of an upload and of what is kept.
const (
	MaxBytes    = 2 << 20  // the largest upload accepted
	MaxSide     = 4096     // the widest or tallest picture decoded
	MaxPixels   = 16 << 20 // the most pixels decoded
	MaxOutSide  = 1200     // the long side of what is kept
	JPEGQuality = 85
)

// Error is why an upload is refused; its value is the message's i18n key.
type Error string

func (e Error) Error() string { return "image refused: " + string(e) }

// The refusals, by i18n key.
const (
	ErrTooBig     Error = "img_too_big"    // more than MaxBytes
	ErrType       Error = "img_type"       // not PNG, JPEG, GIF or WebP
	ErrDimensions Error = "img_dimensions" // larger than MaxSide or MaxPixels
	ErrCorrupt    Error = "img_corrupt"    // does not decode
)

// Key is the i18n key of err when it is a refusal; "" otherwise.
func Key(err error) string {
	var e Error
	if errors.As(err, &e) {
		return string(e)
	}
	return ""
}

// format is one accepted type: how to recognise it by its first bytes and
// how to decode it.
type format struct {
	name   string
	magic  func([]byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
	// lossless sources are kept as PNG.
	lossless bool
}

var formats = []format{
	{"png", prefix("\x89PNG\r\n\x1a\n"), png.DecodeConfig, png.Decode, true},
	{"jpeg", prefix("\xff\xd8\xff"), jpeg.DecodeConfig, jpeg.Decode, false},
	{"gif", func(b []byte) bool { return prefix("GIF87a")(b) || prefix("GIF89a")(b) }, gif.DecodeConfig, gif.Decode, true},
	{"webp", func(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" },
		webp.DecodeConfig, webp.Decode, false},
}

func prefix(p string) func([]byte) bool {
	return func(b []byte) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }
}

// sniff recognises the type by content alone: the file's name and the
// client's Content-Type say nothing.
func sniff(data []byte) (format, bool) {
	for _, f := range formats {
		if f.magic(data) {
			return f, true
		}
	}
	return format{}, false
}

// Decode checks an upload and returns the picture to keep: decoded (the
// first frame of a GIF), at most MaxOutSide on its long side, re-encoded
// as PNG (transparency, or a PNG or GIF source) or JPEG, with its SHA-256.
// The dimensions are read before any pixel is, so that a small file that
// claims a huge picture is refused without decoding it.
func Decode(data []byte) (*models.Image, error) {
	if len(data) > MaxBytes {
		return nil, ErrTooBig
	}
	f, ok := sniff(data)
	if !ok {
		return nil, ErrType
	}
	cfg, err := f.config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrCorrupt, f.name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %s of %d×%d", ErrCorrupt, f.name, cfg.Width, cfg.Height)
	}
	if cfg.Width > MaxSide || cfg.Height > MaxSide || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d", ErrDimensions, cfg.Width, cfg.Height)
	}
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, f.name, err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > MaxSide || b.Dy() > MaxSide {
		return nil, fmt.Errorf("%w: %s decoded to %v", ErrCorrupt, f.name, b)
	}
	return encode(shrink(img), f.lossless)
}

// encode writes img as PNG or JPEG and describes the result.
func encode(img image.Image, lossless bool) (*models.Image, error) {
	opaque := isOpaque(img)
	var buf bytes.Buffer
	ct := "image/png"
	if lossless || !opaque {
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
			return nil, fmt.Errorf("encode png: %w", err)
		}
	}
	// A photograph kept losslessly can be far larger than its upload: an
	// opaque one goes to JPEG instead.
	if buf.Len() == 0 || (opaque && buf.Len() > MaxBytes) {
		buf.Reset()
		ct = "image/jpeg"
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			return nil, fmt.Errorf("encode jpeg: %w", err)
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	b := img.Bounds()
	return &models.Image{SHA256: hex.EncodeToString(sum[:]), ContentType: ct,
		Width: b.Dx(), Height: b.Dy(), Data: buf.Bytes()}, nil
}

// isOpaque reports whether no pixel of img is (partly) transparent.
func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}
