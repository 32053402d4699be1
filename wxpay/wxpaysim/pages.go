package wxpaysim

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
)

//go:embed devices.html
var devicesHTML string

// devicePages are the pages of the devices: the OAuth consent page, the H5
// cashier, and their refusals.
var devicePages = template.Must(template.New("devices").Parse(devicesHTML))

// pageView is what every device page shows; each page uses its part.
type pageView struct {
	Title, Header, HeaderEN string

	Message, MessageEN string // a notice's text
	Done               bool   // the notice reports an outcome, not a refusal
	Result             string // data-result of an outcome

	Action   string // the form's target
	Merchant string
	MchID    string

	AppID, RedirectURI, Scope, State, User string // consent

	Amount, Body, PrepayID, Package, RedirectURL string // cashier
}

// refusalPage is a notice that something was refused.
func refusalPage(title, zh, en string) pageView {
	return pageView{Title: title, Header: "微信", HeaderEN: "WeChat", Message: zh, MessageEN: en}
}

// renderPage executes a page into a buffer first, so that a template error
// never sends half a page.
func (s *Server) renderPage(w http.ResponseWriter, status int, name string, v pageView) {
	var buf bytes.Buffer
	if err := devicePages.ExecuteTemplate(&buf, name, v); err != nil {
		s.log.Error("wxpaysim page", "page", name, "err", err)
		http.Error(w, "页面错误 page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
