package wxpaysim

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

// API v3 beside v2 (SPEC §7): JSON bodies, requests authenticated by the
// merchant's RSA signature in Authorization, every reply signed with the
// Wechatpay-* headers. The v3 endpoints use the v2 operation names for
// fault injection (unifiedorder, orderquery, closeorder), so one fault
// serves both APIs.
func (s *Server) v3Routes() {
	s.mux.Handle("POST /v3/pay/transactions/native", s.v3api("unifiedorder", s.v3Native))
	s.mux.Handle("GET /v3/pay/transactions/out-trade-no/{out_trade_no}", s.v3api("orderquery", s.v3Query))
	s.mux.Handle("POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close", s.v3api("closeorder", s.v3Close))
	s.mux.Handle("POST /v3/refund/domestic/refunds", s.v3api("refund", s.v3Refund))
	s.mux.Handle("GET /v3/refund/domestic/refunds/{out_refund_no}", s.v3api("refundquery", s.v3RefundQuery))
	s.v3DeviceRoutes()
	s.mux.HandleFunc("/v3/", s.v3NotFound)
}

// v3call is one authenticated v3 request.
type v3call struct {
	op   string
	r    *http.Request
	body []byte
	auth wxpayv3.Authorization
}

// v3reply is a v3 answer: a status and a JSON body (nil: no body, as 204).
type v3reply struct {
	status int
	body   any
}

// v3Error is the body of every v3 refusal.
type v3Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func v3Fail(status int, code, message string) v3reply {
	return v3reply{status: status, body: v3Error{Code: code, Message: message}}
}

func v3ParamError(message string) v3reply {
	return v3Fail(http.StatusBadRequest, "PARAM_ERROR", message)
}

func v3SignError(message string) v3reply {
	return v3Fail(http.StatusUnauthorized, "SIGN_ERROR", message)
}

var v3SystemError = v3Fail(http.StatusInternalServerError, "SYSTEM_ERROR", "系统错误")

// maxV3Body bounds a request body, as v2's.
const maxV3Body = wxpay.MaxBodySize

func (s *Server) v3api(op string, handle func(*v3call) v3reply) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, early := s.readV3Call(r, op)
		if early != nil {
			s.writeV3(w, op, *early)
			return
		}
		rep, send := withAPIFault(s, r, op, func() v3reply { return handle(c) }, v3SystemError)
		if !send {
			s.log.Info("wxpaysim api v3: hung call abandoned", "op", op, "path", r.URL.Path)
			return
		}
		s.writeV3(w, op, rep)
	})
}

// v3NotFound answers any other /v3/ path, or a v3 call to a simulator
// without v3 keys.
func (s *Server) v3NotFound(w http.ResponseWriter, r *http.Request) {
	s.writeV3(w, "unknown", v3Fail(http.StatusNotFound, "NOT_FOUND", "请求的资源不存在（not found: "+r.URL.Path+"）"))
}

// readV3Call reads the body and checks the Authorization header as WeChat
// does: the merchant and its certificate serial, a timestamp within five
// minutes, and the signature over the method, the path and query as
// received, the timestamp, the nonce and the body.
func (s *Server) readV3Call(r *http.Request, op string) (*v3call, *v3reply) {
	keys := s.opts.V3Keys
	if keys == nil {
		rep := v3Fail(http.StatusNotFound, "NOT_FOUND", "本模拟器未启用APIv3（no v3 keys: start it with --keys DIR）")
		return nil, &rep
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxV3Body+1))
	if err != nil || len(body) > maxV3Body {
		rep := v3ParamError("请求体读取失败或过大（body unreadable or over 64 KiB）")
		return nil, &rep
	}
	a, err := wxpayv3.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		rep := v3SignError("Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》")
		return nil, &rep
	}
	var fail string
	switch {
	case a.MchID != s.opts.MchID:
		fail = "Authorization中的商户号mchid与证书不匹配（unknown mchid）"
	case !strings.EqualFold(a.Serial, keys.MchSerial()):
		fail = "商户证书序列号有误。请使用签名私钥匹配的证书序列号"
	case wxpayv3.CheckTimestamp(a.Timestamp, s.now()) != nil:
		fail = "请求的时间戳已过期或无效（timestamp not within 5 minutes）"
	case !verifiesAny(&keys.MchKey.PublicKey, r, a, body):
		fail = "错误的签名，验签失败"
	}
	if fail != "" {
		rep := v3SignError(fail)
		return nil, &rep
	}
	return &v3call{op: op, r: r, body: body, auth: a}, nil
}

// verifiesAny checks the request signature over the path and query as
// received, or as seen below the mount point: mounted under /sim, the
// simulator stands in for a host whose root is /sim, and a client may sign
// either form.
func verifiesAny(pub *rsa.PublicKey, r *http.Request, a wxpayv3.Authorization, body []byte) bool {
	paths := []string{r.URL.RequestURI()}
	if raw := requestTarget(r); raw != paths[0] {
		paths = append(paths, raw)
	}
	for _, p := range paths {
		msg := wxpayv3.RequestMessage(r.Method, p, a.Timestamp, a.Nonce, body)
		if wxpayv3.Verify(pub, msg, a.Signature) == nil {
			return true
		}
	}
	return false
}

// requestTarget is the path and query exactly as the client sent them.
func requestTarget(r *http.Request) string {
	t := r.RequestURI
	if t == "" {
		return r.URL.RequestURI()
	}
	if i := strings.Index(t, "://"); i >= 0 { // absolute form, through a proxy
		if j := strings.IndexByte(t[i+3:], '/'); j >= 0 {
			return t[i+3+j:]
		}
		return "/"
	}
	return t
}

// writeV3 writes rep signed as WeChat signs (when the simulator has keys).
func (s *Server) writeV3(w http.ResponseWriter, op string, rep v3reply) {
	var body []byte
	if rep.body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(rep.body) // our own types: cannot fail
		body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Request-ID", randomAlnum(32))
	if s.opts.V3Keys != nil {
		if err := s.signV3(w.Header(), body); err != nil {
			s.log.Error("wxpaysim api v3: sign reply", "err", err)
		}
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(body)
	result := "OK"
	if e, ok := rep.body.(v3Error); ok {
		result = e.Code + " " + e.Message
	}
	s.log.Info("wxpaysim api v3", "op", op, "status", rep.status, "result", result)
}

// v3Signer returns the key and serial of the next v3 signature: the WeChat
// Pay public key's private half under its ID, the platform key under the
// certificate's serial, or each in turn.
func (s *Server) v3Signer() (*rsa.PrivateKey, string) {
	k := s.opts.V3Keys
	useCert := s.opts.V3Sign == V3SignCert
	if s.opts.V3Sign == V3SignBoth {
		useCert = (s.v3Turn.Add(1)-1)%2 == 1
	}
	if useCert {
		return k.PlatformKey, k.PlatformSerial()
	}
	return k.PublicKeyPrivate, k.PublicKeyID
}

// signV3 sets the Wechatpay-* headers of a reply or notification body.
func (s *Server) signV3(h http.Header, body []byte) error {
	key, serial := s.v3Signer()
	h.Set("Wechatpay-Signature-Type", wxpayv3.AuthScheme)
	return wxpayv3.SignHeaders(h, key, serial, body, s.now(), wxpay.NewNonce())
}

// beijingRFC3339 is v3's time format: 2006-01-02T15:04:05+08:00.
func beijingRFC3339(t time.Time) string {
	return t.In(wxpay.Beijing()).Format(time.RFC3339)
}

// decodeV3Body reads one JSON object into v: unknown fields are ignored, as
// WeChat ignores them, but anything after the object is an error.
func decodeV3Body(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}
