package wxpaysim

import (
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

//go:embed jsbridge.js
var jsbridgeJS []byte

// The WeixinJSBridge stand-in (SPEC §9): in simulator mode a page loads
// /jsbridge.js, which defines WeixinJSBridge when WeChat has not, so that
// the JSAPI flow runs in an ordinary browser. Its payment sheet reads the
// order from /jsapi/order and pays through /jsapi/pay, which checks the
// parameters as WeChat's client would. The script and its two endpoints
// allow any origin: a standalone simulator is another origin than the shop.

func (s *Server) jsbridgeScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(jsbridgeJS)
}

// jsapiOrder is GET /jsapi/order?prepay_id=…: what the sheet shows.
func (s *Server) jsapiOrder(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	s.mu.Lock()
	o := s.byPrepay[r.URL.Query().Get("prepay_id")]
	var v map[string]any
	if o != nil {
		v = map[string]any{"merchant": s.opts.MerchantName, "body": o.body(), "amount": yuan(o.totalFee),
			"total_fee": o.totalFee, "trade_state": o.state}
	}
	s.mu.Unlock()
	if v == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": ErrUnknownPrepay.Error(), "refusal": Refusal(ErrUnknownPrepay)})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// readParams reads a flat JSON object of strings. Any content type: the
// sheet posts text/plain so that a cross-origin call needs no preflight.
func readParams(r *http.Request) (map[string]string, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	var p map[string]string
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return p, nil
}

// jsapiPay is POST /jsapi/pay: the sheet's 支付 with the page's
// getBrandWCPayRequest parameters. The answer is what the page's callback
// gets.
func (s *Server) jsapiPay(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	p, err := readParams(r)
	if err == nil {
		err = s.PayJSAPI(p)
	} else {
		err = errors.Join(ErrBadPayParams, err)
	}
	if err != nil {
		s.log.Info("wxpaysim jsapi pay refused", "err", err)
		writeJSON(w, payStatus(err), map[string]string{
			"err_msg": "get_brand_wcpay_request:fail", "err_desc": Refusal(err), "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"err_msg": "get_brand_wcpay_request:ok"})
}

// appPay is POST /app/pay: the WeChat SDK paying a PayReq. The answer
// mirrors the SDK's PayResp: errCode 0 paid, -1 refused.
func (s *Server) appPay(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(r)
	if err == nil {
		err = s.PayApp(p)
	} else {
		err = errors.Join(ErrBadPayParams, err)
	}
	if err != nil {
		s.log.Info("wxpaysim app pay refused", "err", err)
		writeJSON(w, payStatus(err), map[string]any{"errCode": -1, "errStr": Refusal(err), "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"errCode": 0, "errStr": ""})
}

// payStatus is the HTTP status of a refused in-app payment.
func payStatus(err error) int {
	switch {
	case errors.Is(err, ErrUnknownPrepay):
		return http.StatusNotFound
	case errors.Is(err, ErrBadPayParams), errors.Is(err, ErrBadPaySign):
		return http.StatusBadRequest
	}
	return http.StatusConflict
}
