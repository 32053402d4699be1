package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/imaging"
	"wxcheckout/models"
)

// maxUploadBody caps the body of a form with a picture: the picture's
// limit and room for the other fields. Other bodies keep maxBody.
const maxUploadBody = imaging.MaxBytes + 256<<10

// uploadRoutes are the routes whose forms carry a picture (limitBody).
var uploadRoutes = map[string]bool{
	"/admin/products":     true,
	"/admin/products/:id": true,
	"/admin/settings":     true,
}

// bodyLimit is the cap of c's request body.
func bodyLimit(c *gin.Context) int64 {
	if c.Request.Method == http.MethodPost && uploadRoutes[c.FullPath()] {
		return maxUploadBody
	}
	return maxBody
}

// readUploadForm reads a form that may carry a picture, before its CSRF
// token is checked: a body over the cap is refused here with the reason
// (nothing changes either way).
func (h *Handler) readUploadForm(c *gin.Context) {
	err := c.Request.ParseMultipartForm(maxUploadBody)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		h.renderError(c, http.StatusBadRequest, string(imaging.ErrTooBig))
		c.Abort()
		return
	case err != nil && !errors.Is(err, http.ErrNotMultipart):
		h.renderError(c, http.StatusBadRequest, msgBadRequest)
		c.Abort()
		return
	}
	c.Next()
}

// uploadedImage decodes the picture of a form's file field; nil, "" when
// none was sent, else the i18n key of a refusal.
func uploadedImage(c *gin.Context, field string) (*models.Image, string) {
	fh, err := c.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) || (err == nil && fh.Size == 0 && fh.Filename == "") {
		return nil, ""
	}
	if err != nil {
		return nil, string(imaging.ErrCorrupt)
	}
	if fh.Size > imaging.MaxBytes {
		return nil, string(imaging.ErrTooBig)
	}
	data, err := readPart(fh)
	if err != nil {
		return nil, string(imaging.ErrCorrupt)
	}
	img, err := imaging.Decode(data)
	if err != nil {
		return nil, imaging.Key(err)
	}
	return img, ""
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, imaging.MaxBytes+1))
}

// image serves a kept picture (GET /images/:id): the app's own encoding,
// never sniffed, cached for good (an ID's bytes never change).
func (h *Handler) image(c *gin.Context) {
	id, ok := imageID(c.Param("id"))
	if !ok {
		h.renderError(c, http.StatusNotFound, msgNotFound)
		return
	}
	img, err := h.svc.Image(c.Request.Context(), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if img.ContentType != "image/png" && img.ContentType != "image/jpeg" {
		h.renderError(c, http.StatusNotFound, msgNotFound)
		return
	}
	hd := c.Writer.Header()
	etag := `"` + img.SHA256 + `"`
	hd.Set("Content-Security-Policy", "default-src 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", etag)
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, img.ContentType, img.Data)
}

// imageID reads an image's ID: digits, no leading zero.
func imageID(s string) (uint, bool) {
	if s == "" || len(s) > 10 || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint(n), err == nil && n > 0
}

// etagMatches reads If-None-Match: "*", or a list of (weak or strong) tags.
func etagMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
