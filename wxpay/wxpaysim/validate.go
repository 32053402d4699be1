package wxpaysim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"wxcheckout/wxpay"
)

// call is one decoded API request.
type call struct {
	op           string
	req          wxpay.Params
	signType     wxpay.SignType // how to sign the reply
	signTypeSent bool           // the request named it, so the reply names it too
}

// reply is the answer to a call. WeChat has two levels of failure: a
// return_code=FAIL with only return_msg (unsigned: the message could not be
// read or trusted), and a signed result_code=FAIL with err_code.
type reply struct {
	returnMsg string // non-empty: return_code=FAIL
	errCode   string // non-empty: result_code=FAIL
	errDes    string
	fields    wxpay.Params // on success: the endpoint's own fields
}

func success(p wxpay.Params) reply           { return reply{fields: p} }
func failure(code, des string) reply         { return reply{errCode: code, errDes: des} }
func returnFail(msg string) *reply           { return &reply{returnMsg: msg} }
func failureRef(code, des string) *reply     { r := failure(code, des); return &r }
func lackParam(name string) *reply           { return failureRef("LACK_PARAMS", "缺少参数"+name) }
func invalidParam(des string) *reply         { return failureRef(wxpay.CodeInvalidRequest, des) }
func notEmpty(p wxpay.Params, k string) bool { return p[k] != "" }

// readCall decodes and authenticates a request. A non-nil reply is the
// answer to send at once; the call is nil when nothing could be read.
func (s *Server) readCall(r *http.Request, op string) (*call, *reply) {
	if r.Method != http.MethodPost {
		return nil, returnFail("请使用post方法") // REQUIRE_POST_METHOD
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, wxpay.MaxBodySize+1))
	switch {
	case err != nil:
		return nil, returnFail("读取请求数据失败")
	case len(body) == 0:
		return nil, returnFail("post数据为空") // POST_DATA_EMPTY
	case !utf8.Valid(body):
		return nil, returnFail("编码格式错误，请使用UTF-8编码") // NOT_UTF8
	}
	p, err := wxpay.Decode(body)
	if err != nil {
		return nil, returnFail("XML格式错误") // XML_FORMAT_ERROR
	}
	c := &call{op: op, req: p, signType: wxpay.SignMD5}
	return c, s.authenticate(c)
}

// authenticate checks the merchant and the signature. mch_id comes first
// because it names the key the sign is checked with.
func (s *Server) authenticate(c *call) *reply {
	if st := c.req["sign_type"]; st != "" {
		t, err := wxpay.ParseSignType(st)
		if err != nil {
			return returnFail("sign_type参数错误，只支持MD5和HMAC-SHA256")
		}
		c.signType, c.signTypeSent = t, true
	}
	switch mch := c.req["mch_id"]; {
	case mch == "":
		return lackParam("mch_id")
	case mch != s.opts.MchID:
		return failureRef("MCHID_NOT_EXIST", "商户号不存在")
	case c.req["sign"] == "":
		return lackParam("sign")
	}
	// Absent sign_type means MD5 whatever the sign's length; wxpay.Verify
	// guesses by length, which is right for notifications only.
	if !c.signTypeSent && len(c.req["sign"]) != 32 {
		return returnFail("签名错误")
	}
	if err := wxpay.Verify(c.req, s.opts.APIKey); err != nil {
		return returnFail("签名错误")
	}
	switch appid := c.req["appid"]; {
	case appid == "":
		return lackParam("appid")
	case !s.merchantApp(appid) && appIDShape.MatchString(appid):
		// Well formed: an appid of some other account, not bound to this merchant.
		return failureRef("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
	case !s.merchantApp(appid):
		return failureRef("APPID_NOT_EXIST", "APPID不存在")
	case c.req["nonce_str"] == "":
		return lackParam("nonce_str")
	case len(c.req["nonce_str"]) > 32:
		return invalidParam("nonce_str参数长度有误，不能超过32个字符")
	}
	return nil
}

var appIDShape = regexp.MustCompile(`^wx[0-9a-f]{16}$`)

// fieldRule is one format rule of unifiedorder, applied when the field is present.
type fieldRule struct {
	name string
	ok   func(string) bool
	des  string
}

func maxLen(n int) func(string) bool { return func(v string) bool { return len(v) <= n } }
func isTime(v string) bool           { _, err := wxpay.ParseTime(v); return err == nil }
func isIP(v string) bool             { return net.ParseIP(v) != nil }
func isURL(v string) bool            { return wxpay.ValidNotifyURL(v) == nil }

// positiveFen accepts a plain positive integer: no sign, no leading zero,
// no decimals (a yuan amount like 0.01 is the classic mistake).
func positiveFen(v string) bool {
	if v == "" || v[0] == '0' {
		return false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == v
}

var unifiedOrderRules = []fieldRule{
	{"out_trade_no", wxpay.ValidOutTradeNo, "out_trade_no参数格式错误，须为6-32位数字、大小写字母或_-|*"},
	{"body", maxLen(127), "body参数长度有误，不能超过127个字节"},
	{"total_fee", positiveFen, "total_fee参数格式错误，须为正整数，单位为分"},
	{"spbill_create_ip", isIP, "spbill_create_ip参数格式错误"},
	{"notify_url", isURL, "notify_url参数格式错误，须为不超过256字节、不带参数的绝对URL"},
	{"product_id", maxLen(32), "product_id参数长度有误，不能超过32个字符"},
	{"openid", maxLen(128), "openid参数长度有误"},
	{"scene_info", validSceneInfo, "scene_info参数格式错误，须为JSON，H5支付须含h5_info"},
	{"attach", maxLen(127), "attach参数长度有误，不能超过127个字节"},
	{"device_info", maxLen(32), "device_info参数长度有误"},
	{"fee_type", func(v string) bool { return v == "CNY" }, "fee_type参数错误，只支持CNY"},
	{"time_start", isTime, "time_start参数格式错误，须为yyyyMMddHHmmss"},
	{"time_expire", isTime, "time_expire参数格式错误，须为yyyyMMddHHmmss"},
}

// validateUnifiedOrder applies WeChat's rules for an order of any trade
// type, but for the openid's app (see checkOpenID).
func validateUnifiedOrder(p wxpay.Params, now time.Time) *reply {
	for _, k := range []string{"body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "trade_type"} {
		if !notEmpty(p, k) {
			return lackParam(k)
		}
	}
	switch p["trade_type"] {
	case wxpay.TradeNative:
		if !notEmpty(p, "product_id") {
			return invalidParam("trade_type=NATIVE时，product_id为必填参数")
		}
	case wxpay.TradeJSAPI:
		if !notEmpty(p, "openid") {
			// WeChat's answer, unsigned, as merchants meet it.
			return returnFail("JSAPI支付必须传openid")
		}
	case wxpay.TradeMWEB:
		if !notEmpty(p, "scene_info") {
			return lackParam("scene_info")
		}
	case wxpay.TradeAPP:
	default:
		return invalidParam("trade_type参数错误")
	}
	for _, r := range unifiedOrderRules {
		if v := p[r.name]; v != "" && !r.ok(v) {
			return invalidParam(r.des)
		}
	}
	if d := p["detail"]; d != "" {
		if r := v2Detail(d); r != nil {
			return r
		}
	}
	if te := p["time_expire"]; te != "" {
		t, _ := wxpay.ParseTime(te)
		if t.Sub(now) < time.Minute {
			// WeChat's own wording; for Native the floor is one minute.
			return returnFail("time_expire时间过短，刷卡至少1分钟，其他5分钟")
		}
	}
	return nil
}

// hasH5Info reports whether scene_info (valid already) has an h5_info.
func hasH5Info(v string) bool {
	var si struct {
		H5Info json.RawMessage `json:"h5_info"`
	}
	return json.Unmarshal([]byte(v), &si) == nil && len(si.H5Info) > 0 && string(si.H5Info) != "null"
}

// validSceneInfo accepts scene_info as JSON, with an h5_info object that has
// a type, as H5 needs (other trade types may send store_info and the like).
func validSceneInfo(v string) bool {
	var si struct {
		H5Info *struct {
			Type string `json:"type"`
		} `json:"h5_info"`
	}
	return len(v) <= 256 && json.Unmarshal([]byte(v), &si) == nil && (si.H5Info == nil || si.H5Info.Type != "")
}

// checkOpenID refuses a JSAPI order whose openid was not issued under its
// appid: openids are per app, and WeChat will not let one app's user pay
// under another's.
func (s *Server) checkOpenID(p wxpay.Params) *reply {
	if p["trade_type"] == wxpay.TradeJSAPI && !s.ownsOpenID(p["appid"], p["openid"]) {
		return failureRef("PARAM_ERROR", "appid和openid不匹配")
	}
	if p["trade_type"] == wxpay.TradeMWEB && !hasH5Info(p["scene_info"]) {
		return invalidParam("trade_type=MWEB时，scene_info须含h5_info")
	}
	return nil
}
