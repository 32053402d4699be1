package wxpaysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// faultJSON is a Fault on the wire of POST /control, e.g.
// {"fault":"drop","count":3} or {"fault":"hang","endpoint":"orderquery","delay":"20s"}.
// {"fault":"clear"} removes every pending fault.
type faultJSON struct {
	Fault    string `json:"fault"`
	Count    int    `json:"count,omitempty"`
	Copies   int    `json:"copies,omitempty"`
	Delay    string `json:"delay,omitempty"` // a Go duration: "500ms", "30s", "2m"
	Endpoint string `json:"endpoint,omitempty"`
	Apply    bool   `json:"apply,omitempty"`
}

func (j faultJSON) fault() (Fault, error) {
	f := Fault{Kind: FaultKind(j.Fault), Count: j.Count, Copies: j.Copies, Endpoint: j.Endpoint, Apply: j.Apply}
	if j.Delay != "" {
		d, err := time.ParseDuration(j.Delay)
		if err != nil {
			return Fault{}, fmt.Errorf("delay: %w", err)
		}
		f.Delay = d
	}
	return f, nil
}

func toJSON(f Fault) faultJSON {
	j := faultJSON{Fault: string(f.Kind), Count: f.Count, Copies: f.Copies, Endpoint: f.Endpoint, Apply: f.Apply}
	if f.Delay > 0 {
		j.Delay = f.Delay.String()
	}
	return j
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// decodeJSON reads a small JSON body strictly, so that a typo in a field
// name is an error rather than a fault silently not injected.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	return nil
}

func (s *Server) pendingJSON() map[string][]faultJSON {
	out := []faultJSON{}
	for _, f := range s.PendingFaults() {
		out = append(out, toJSON(f))
	}
	return map[string][]faultJSON{"faults": out}
}

// controlGet lists the pending faults.
func (s *Server) controlGet(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.pendingJSON())
}

// controlPost injects a fault, or clears them all.
func (s *Server) controlPost(w http.ResponseWriter, r *http.Request) {
	var j faultJSON
	if err := decodeJSON(w, r, &j); err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	if j.Fault == "clear" {
		s.ClearFaults()
		writeJSON(w, http.StatusOK, s.pendingJSON())
		return
	}
	f, err := j.fault()
	if err == nil {
		err = s.Inject(f)
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, s.pendingJSON())
}

// ordersJSON lists the orders, optionally only those in ?trade_state=.
func (s *Server) ordersJSON(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("trade_state")
	out := []OrderInfo{}
	for _, o := range s.Orders() {
		if state == "" || o.TradeState == state {
			out = append(out, o)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// deliveriesJSON lists the notification attempts, optionally only those
// of ?out_trade_no=.
func (s *Server) deliveriesJSON(w http.ResponseWriter, r *http.Request) {
	no := r.URL.Query().Get("out_trade_no")
	out := []Delivery{}
	for _, d := range s.Deliveries() {
		if no == "" || d.OutTradeNo == no {
			out = append(out, d)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// controlPay pays an order for a program that does not want to drive the
// phone page: {"code_url":"weixin://…"} or {"out_trade_no":"…"}.
func (s *Server) controlPay(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CodeURL    string `json:"code_url"`
		OutTradeNo string `json:"out_trade_no"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		writeJSONError(w, http.StatusBadRequest, err)
		return
	}
	find := func() *order { return s.byCode[req.CodeURL] }
	if req.CodeURL == "" {
		find = func() *order { return s.orders[req.OutTradeNo] }
	}
	info, err := s.pay(find)
	switch {
	case errors.Is(err, ErrUnknownCode):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error(), "refusal": Refusal(err)})
	case err != nil:
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error(), "refusal": Refusal(err)})
	default:
		writeJSON(w, http.StatusOK, info)
	}
}
