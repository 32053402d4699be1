package wxpayv3_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	wxpayv3 "wxcheckout/wxpay/v3"
)

// fakeWeChat is a WeChat Pay v3 server written for these tests: it
// verifies each request's Authorization with the merchant's public key,
// validates bodies, keeps orders, and signs every reply (errors too) with
// the WeChat Pay public key's private half, the platform certificate's key,
// or both by turns. Knobs break it on purpose.
type fakeWeChat struct {
	keys *testKeys
	srv  *httptest.Server

	mu       sync.Mutex
	orders   map[string]*fakeOrder
	signWith string   // "pubkey" (default), "cert", "both"
	turn     int      // replies signed so far, for "both"
	serials  []string // the Wechatpay-Serial of each reply
	tamper   string   // "badsig", "nosig", "unknownserial", "stale", "lowerserial"
	fail     *fakeFail
	reply    func(w http.ResponseWriter, r *http.Request) bool // overrides a route when it returns true
	seen     []seenRequest

	refunds map[string]*fakeRefund // by out_refund_no (refund_fake_test.go)
}

type fakeFail struct {
	status        int
	code, message string
}

type seenRequest struct {
	method, uri string
	header      http.Header
	body        []byte
}

type fakeOrder struct {
	body    map[string]any
	codeURL string
	tx      map[string]any
}

func newFake(tb testing.TB) *fakeWeChat {
	tb.Helper()
	f := &fakeWeChat{keys: loadKeys(tb), orders: map[string]*fakeOrder{}, signWith: "pubkey",
		refunds: map[string]*fakeRefund{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeChat) set(fn func(f *fakeWeChat)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeWeChat) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

func (f *fakeWeChat) replySerials() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.serials...)
}

// pay marks an order paid as a shopper's payment would.
func (f *fakeWeChat) pay(no string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[no]
	tx := paidTransaction(no)
	tx["amount"].(map[string]any)["total"] = o.body["amount"].(map[string]any)["total"]
	tx["attach"] = o.body["attach"]
	o.tx = tx
}

func (f *fakeWeChat) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, seenRequest{method: r.Method, uri: r.URL.RequestURI(), header: r.Header.Clone(), body: body})
	if !f.authorized(r, body) {
		f.writeError(w, http.StatusUnauthorized, "SIGN_ERROR", "签名错误")
		return
	}
	if f.fail != nil {
		f.writeError(w, f.fail.status, f.fail.code, f.fail.message)
		return
	}
	if f.reply != nil && f.reply(w, r) {
		return
	}
	rest, isOrder := strings.CutPrefix(r.URL.EscapedPath(), "/v3/pay/transactions/out-trade-no/")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v3/pay/transactions/native":
		f.native(w, body)
	case r.Method == http.MethodPost && (r.URL.Path == "/v3/pay/transactions/jsapi" ||
		r.URL.Path == "/v3/pay/transactions/h5" || r.URL.Path == "/v3/pay/transactions/app"):
		f.device(w, strings.TrimPrefix(r.URL.Path, "/v3/pay/transactions/"), body)
	case r.Method == http.MethodGet && isOrder && !strings.Contains(rest, "/"):
		f.query(w, r, rest)
	case r.Method == http.MethodPost && isOrder && strings.HasSuffix(rest, "/close"):
		f.close(w, strings.TrimSuffix(rest, "/close"), body)
	case strings.HasPrefix(r.URL.Path, "/v3/refund/domestic/refunds"):
		f.refundRoute(w, r, body)
	default:
		f.writeError(w, http.StatusNotFound, "NOT_FOUND", "no such API")
	}
}

// authorized checks the Authorization as WeChat does: our merchant, its
// certificate serial, a fresh timestamp, and the signature over
// METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n with the merchant's public key.
func (f *fakeWeChat) authorized(r *http.Request, body []byte) bool {
	a, err := wxpayv3.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil || a.MchID != testMchID || !strings.EqualFold(a.Serial, testMchSerial) {
		return false
	}
	if wxpayv3.CheckTimestamp(a.Timestamp, time.Now()) != nil {
		return false
	}
	msg := wxpayv3.RequestMessage(r.Method, r.URL.RequestURI(), a.Timestamp, a.Nonce, body)
	return wxpayv3.Verify(f.keys.merchantPub, msg, a.Signature) == nil
}

func (f *fakeWeChat) native(w http.ResponseWriter, body []byte) {
	var req map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		f.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "body is not JSON")
		return
	}
	if msg := checkNative(req); msg != "" {
		f.writeError(w, http.StatusBadRequest, "PARAM_ERROR", msg)
		return
	}
	no := req["out_trade_no"].(string)
	if o, ok := f.orders[no]; ok {
		switch {
		case o.tx != nil && o.tx["trade_state"] == "SUCCESS":
			f.writeError(w, http.StatusBadRequest, "ORDERPAID", "该订单已支付")
		case o.tx != nil && o.tx["trade_state"] == "CLOSED":
			f.writeError(w, http.StatusBadRequest, "ORDER_CLOSED", "订单已关闭")
		case !maps.EqualFunc(o.body, req, func(a, b any) bool { return string(mustMarshal(a)) == string(mustMarshal(b)) }):
			f.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "201 商户订单号重复")
		default:
			f.writeJSON(w, http.StatusOK, map[string]any{"code_url": o.codeURL})
		}
		return
	}
	o := &fakeOrder{body: req, codeURL: "weixin://wxpay/bizpayurl?pr=" + strconv.Itoa(len(f.orders)+1) + "v3fake"}
	f.orders[no] = o
	f.writeJSON(w, http.StatusOK, map[string]any{"code_url": o.codeURL})
}

// checkNative is the fake's field validation; "" when the order is good.
func checkNative(req map[string]any) string {
	for _, k := range []string{"appid", "mchid", "description", "out_trade_no", "notify_url"} {
		if s, _ := req[k].(string); s == "" {
			return "缺少参数 " + k
		}
	}
	if (req["appid"] != testAppID && req["appid"] != testMiniAppID) || req["mchid"] != testMchID {
		return "appid 和 mch_id 不匹配"
	}
	amount, _ := req["amount"].(map[string]any)
	if n, _ := amount["total"].(json.Number); n == "" || amount["currency"] != "CNY" {
		return "amount 无效"
	}
	if te, ok := req["time_expire"].(string); ok {
		t, err := time.Parse("2006-01-02T15:04:05+08:00", te) // exactly v3's layout, Beijing time
		if err != nil || t.Add(-8*time.Hour).Before(time.Now()) {
			return "time_expire 格式错误"
		}
	}
	return ""
}

func (f *fakeWeChat) query(w http.ResponseWriter, r *http.Request, escapedNo string) {
	no, _ := url.PathUnescape(escapedNo)
	if r.URL.Query().Get("mchid") != testMchID {
		f.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "mchid 无效")
		return
	}
	o, ok := f.orders[no]
	if !ok {
		f.writeError(w, http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
		return
	}
	if o.tx != nil {
		f.writeJSON(w, http.StatusOK, o.tx)
		return
	}
	f.writeJSON(w, http.StatusOK, map[string]any{"appid": testAppID, "mchid": testMchID, "out_trade_no": no,
		"trade_state": "NOTPAY", "trade_state_desc": "订单未支付", "amount": map[string]any{"total": o.body["amount"].(map[string]any)["total"], "currency": "CNY"}})
}

func (f *fakeWeChat) close(w http.ResponseWriter, escapedNo string, body []byte) {
	no, _ := url.PathUnescape(escapedNo)
	var req struct{ MchID string }
	if json.Unmarshal(body, &req) != nil || req.MchID != testMchID {
		f.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "mchid 无效")
		return
	}
	o, ok := f.orders[no]
	switch {
	case !ok:
		f.writeError(w, http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
	case o.tx != nil && o.tx["trade_state"] == "SUCCESS":
		f.writeError(w, http.StatusBadRequest, "ORDERPAID", "订单已支付")
	case o.tx != nil && o.tx["trade_state"] == "CLOSED":
		f.writeError(w, http.StatusBadRequest, "ORDER_CLOSED", "订单已关闭")
	default:
		o.tx = map[string]any{"appid": testAppID, "mchid": testMchID, "out_trade_no": no, "trade_state": "CLOSED", "trade_state_desc": "订单已关闭"}
		f.write(w, http.StatusNoContent, nil)
	}
}

func (f *fakeWeChat) writeError(w http.ResponseWriter, status int, code, message string) {
	f.writeJSON(w, status, map[string]any{"code": code, "message": message})
}

func (f *fakeWeChat) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	f.write(w, status, mustMarshal(v))
}

// write signs body as WeChat does and applies the tamper knob.
func (f *fakeWeChat) write(w http.ResponseWriter, status int, body []byte) {
	mode := f.signWith
	if mode == "both" {
		mode = []string{"pubkey", "cert"}[f.turn%2]
	}
	f.turn++
	key, serial := f.keys.pubKey, testPubKeyID
	if mode == "cert" {
		key, serial = f.keys.platform, testPlatformSerial
	}
	at := time.Now()
	if f.tamper == "stale" {
		at = at.Add(-6 * time.Minute)
	}
	h := w.Header()
	if err := wxpayv3.SignHeaders(h, key, serial, body, at, "fakenonce"+strconv.Itoa(f.turn)); err != nil {
		panic(err)
	}
	switch f.tamper {
	case "badsig":
		body = append(append([]byte(nil), body...), ' ')
	case "nosig":
		h.Del(wxpayv3.HeaderSignature)
	case "unknownserial":
		h.Set(wxpayv3.HeaderSerial, "PUB_KEY_ID_0000000000000000000000000000")
	case "lowerserial":
		h.Set(wxpayv3.HeaderSerial, strings.ToLower(serial))
	}
	f.serials = append(f.serials, h.Get(wxpayv3.HeaderSerial))
	w.WriteHeader(status)
	w.Write(body)
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
