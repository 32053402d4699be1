package imaging

import (
	"image"

	"golang.org/x/image/draw"
)

// shrink scales img down so that its long side is at most MaxOutSide
// (Catmull-Rom); a picture that fits is returned as it is.
func shrink(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= MaxOutSide && h <= MaxOutSide {
		return img
	}
	if w >= h {
		h = max(1, h*MaxOutSide/w)
		w = MaxOutSide
	} else {
		w = max(1, w*MaxOutSide/h)
		h = MaxOutSide
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}
