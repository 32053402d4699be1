package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// switchURL is where the header's language switch leads: the same page in
// the other language. A GET (or HEAD) page is itself with lang replaced; a
// page rendered by a POST (a failed checkout, say) cannot be fetched again,
// so the switch leads to the page the form came from: the same-origin
// Referer when the browser sends one, else the page a shopper would be on.
func switchURL(c *gin.Context, to Lang) string {
	r := c.Request
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return withLang(r.URL.Path, r.URL.RawQuery, to)
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && ref.Path != "" && strings.HasPrefix(ref.Path, "/") &&
		(ref.Scheme == "http" || ref.Scheme == "https") {
		return withLang(ref.Path, ref.RawQuery, to)
	}
	return withLang(formPage(r.URL.Path), "", to)
}

// formPage is the GET page whose form posts to path.
func formPage(path string) string {
	switch {
	case path == "/checkout" || path == "/cart":
		return "/cart"
	case strings.HasPrefix(path, "/pay/"):
		parts := strings.SplitN(strings.TrimPrefix(path, "/pay/"), "/", 2)
		if parts[0] != "" {
			return "/pay/" + url.PathEscape(parts[0])
		}
	case strings.HasPrefix(path, "/admin/"):
		return "/admin"
	}
	return "/"
}

func withLang(path, rawQuery string, to Lang) string {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		q = url.Values{}
	}
	q.Set("lang", string(to))
	return (&url.URL{Path: path, RawQuery: q.Encode()}).String()
}

// other is the language the switch offers.
func (l Lang) other() Lang {
	if l == LangEN {
		return LangZH
	}
	return LangEN
}
