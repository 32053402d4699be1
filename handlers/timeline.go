package handlers

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// The timeline's exchanges (WeChat's v2 XML, v3 JSON, a merchant
// notification) shown as a table of named fields. What is stored may be
// hostile (a refused notification is kept as it came), so formatting is
// bounded and never expands entities: anything that is not a small flat
// XML document, JSON object or form is shown only as escaped raw text.
const (
	maxExchangeBytes  = 64 << 10 // larger exchanges are shown raw
	maxExchangeFields = 200
	maxJSONDepth      = 3
	maxFieldValue     = 2000 // longer values are cut in the table
)

// exchangeField is one named field: WeChat's name, its label in the page's
// language ("" when unknown) and its value as shown.
type exchangeField struct {
	Name, Label, Value string
}

// exchange is a formatted request or response; Fields is empty when the
// text did not parse, and the page then shows Raw only.
type exchange struct {
	L      Lang   // the page's language, for the table's headings
	Title  string // "请求/Request", set by the timeline
	Class  string // request or response
	Head   string // a notification's "POST https://…" line, or ""
	Fields []exchangeField
	Raw    string
}

var errNotFlat = errors.New("not a flat document")

// formatExchange parses raw as flat XML, a JSON object or a form, with an
// optional "METHOD URL" line first (a merchant notification).
func formatExchange(raw string, l Lang) exchange {
	ex := exchange{L: l, Raw: raw}
	if raw == "" || len(raw) > maxExchangeBytes || !utf8.ValidString(raw) {
		return ex
	}
	var fields [][2]string
	body := strings.TrimSpace(raw)
	if head, rest, ok := requestLine(body); ok {
		ex.Head = head
		if u, err := url.Parse(strings.SplitN(head, " ", 2)[1]); err == nil {
			fields = formFields(u.RawQuery)
		}
		body = strings.TrimSpace(rest)
	}
	if body != "" {
		more, err := parseBody(body)
		if err != nil {
			return exchange{L: l, Raw: raw}
		}
		fields = append(fields, more...)
	}
	if len(fields) > maxExchangeFields {
		return exchange{L: l, Raw: raw}
	}
	for _, f := range fields {
		ex.Fields = append(ex.Fields, exchangeField{Name: f[0], Label: fieldLabel(f[0], l), Value: shownValue(f[0], f[1])})
	}
	return ex
}

// requestLine splits "GET https://…" or "POST https://…\n\nbody".
func requestLine(s string) (head, rest string, ok bool) {
	line, rest, _ := strings.Cut(s, "\n")
	if !strings.HasPrefix(line, "GET http") && !strings.HasPrefix(line, "POST http") {
		return "", "", false
	}
	return strings.TrimSpace(line), rest, true
}

func parseBody(s string) ([][2]string, error) {
	switch s[0] {
	case '<':
		return xmlFields(s)
	case '{':
		return jsonFields(s)
	}
	if strings.ContainsAny(s, " \n<>{}") || !strings.Contains(s, "=") {
		return nil, errNotFlat
	}
	if _, err := url.ParseQuery(s); err != nil {
		return nil, errNotFlat
	}
	return formFields(s), nil
}

// formFields are a query string's fields, sorted by name; none (the raw
// text is shown) when percent-decoding gives bytes that are not UTF-8.
func formFields(q string) [][2]string {
	v, err := url.ParseQuery(q)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(v))
	for k, vs := range v {
		if !utf8.ValidString(k) || !utf8.ValidString(strings.Join(vs, "")) {
			return nil
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var out [][2]string
	for _, k := range names {
		for _, s := range v[k] {
			out = append(out, [2]string{k, s})
		}
	}
	return out
}

// xmlFields reads WeChat's <xml><name>value</name>…</xml>: one root, its
// children text only (CDATA unwrapped). Go's decoder expands no entity of
// a DTD and fetches nothing; a DTD or anything nested is refused anyway.
func xmlFields(s string) ([][2]string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var out [][2]string
	depth, roots, name := 0, 0, ""
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				roots++
			}
			if depth > 2 || roots > 1 || len(out) >= maxExchangeFields {
				return nil, errNotFlat
			}
			name = t.Name.Local
			text.Reset()
		case xml.CharData:
			if depth == 2 {
				text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errNotFlat
			}
		case xml.EndElement:
			if depth == 2 {
				out = append(out, [2]string{name, text.String()})
			}
			depth--
		case xml.Directive:
			return nil, errNotFlat // <!DOCTYPE …>: never honoured
		}
	}
	if depth != 0 {
		return nil, errNotFlat
	}
	return out, nil
}

// jsonFields flattens a JSON object to dotted names (amount.total), a few
// levels deep; arrays are shown as compact JSON.
func jsonFields(s string) ([][2]string, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errNotFlat
	}
	var out [][2]string
	if !flatten("", obj, 1, &out) {
		return nil, errNotFlat
	}
	return out, nil
}

func flatten(prefix string, obj map[string]any, depth int, out *[][2]string) bool {
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if len(*out) > maxExchangeFields {
			return false
		}
		name := prefix + k
		switch v := obj[k].(type) {
		case map[string]any:
			if depth >= maxJSONDepth {
				*out = append(*out, [2]string{name, compactJSON(v)})
			} else if !flatten(name+".", v, depth+1, out) {
				return false
			}
		case string:
			*out = append(*out, [2]string{name, v})
		case nil:
			*out = append(*out, [2]string{name, "null"})
		default:
			*out = append(*out, [2]string{name, compactJSON(v)})
		}
	}
	return true
}

// compactJSON writes a decoded value back as it was, without escaping
// HTML (the template does that).
func compactJSON(v any) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if e.Encode(v) != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// shownValue shortens signatures and hides anything named like a key
// (never stored; this is a second guard), and cuts very long values.
func shownValue(name, v string) string {
	lower := strings.ToLower(name[strings.LastIndexByte(name, '.')+1:])
	switch lower {
	case "key", "api_key", "apikey", "api_v3_key", "secret", "app_secret", "appsecret", "password":
		return "••••••"
	case "sign", "paysign", "signature":
		if r := []rune(v); len(r) > 12 {
			return string(r[:8]) + "…" + string(r[len(r)-4:])
		}
	}
	if len(v) > maxFieldValue {
		cut := maxFieldValue
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		return v[:cut] + "…"
	}
	return v
}

func fieldLabel(name string, l Lang) string {
	lab, ok := fieldLabels[name]
	if !ok {
		return ""
	}
	if l == LangEN {
		return lab[1]
	}
	return lab[0]
}

// fieldLabels names the common fields of WeChat Pay v2 and v3 and of the
// gateway's merchant notifications: {Chinese, English}.
var fieldLabels = map[string][2]string{
	"return_code": {"通信结果", "Return code"}, "return_msg": {"通信信息", "Return message"},
	"result_code": {"业务结果", "Result code"}, "err_code": {"错误代码", "Error code"},
	"err_code_des": {"错误描述", "Error description"}, "appid": {"公众账号ID", "App ID"},
	"mch_id": {"商户号", "Merchant ID"}, "mchid": {"商户号", "Merchant ID"},
	"sub_mch_id": {"子商户号", "Sub-merchant ID"}, "device_info": {"设备号", "Device"},
	"nonce_str": {"随机字符串", "Nonce"}, "sign": {"签名", "Signature"}, "sign_type": {"签名类型", "Signature type"},
	"paySign": {"支付签名", "Payment signature"}, "signType": {"签名类型", "Signature type"},
	"out_trade_no": {"商户订单号", "Merchant order no."}, "transaction_id": {"微信支付单号", "WeChat transaction no."},
	"trade_no": {"平台订单号", "Gateway order no."}, "total_fee": {"订单金额(分)", "Order amount (fen)"},
	"cash_fee": {"现金支付金额(分)", "Cash paid (fen)"}, "settlement_total_fee": {"应结订单金额(分)", "Settlement amount (fen)"},
	"fee_type": {"币种", "Currency"}, "cash_fee_type": {"现金币种", "Cash currency"},
	"time_end": {"支付完成时间", "Paid at"}, "time_start": {"交易起始时间", "Started at"},
	"time_expire": {"交易结束时间", "Expires at"}, "trade_type": {"交易类型", "Trade type"},
	"trade_state": {"交易状态", "Trade state"}, "trade_state_desc": {"交易状态描述", "Trade state description"},
	"bank_type": {"付款银行", "Bank"}, "openid": {"用户标识", "Payer's openid"}, "is_subscribe": {"是否关注公众号", "Follows the account"},
	"body": {"商品描述", "Description"}, "detail": {"商品详情", "Goods detail"}, "attach": {"附加数据", "Attached data"},
	"spbill_create_ip": {"终端IP", "Client IP"}, "notify_url": {"通知地址", "Notification URL"},
	"product_id": {"商品ID", "Product ID"}, "prepay_id": {"预支付交易会话标识", "Prepay ID"},
	"code_url": {"二维码链接", "QR code URL"}, "mweb_url": {"H5支付跳转链接", "H5 payment URL"},
	"h5_url": {"H5支付跳转链接", "H5 payment URL"}, "out_refund_no": {"商户退款单号", "Merchant refund no."},
	"refund_id": {"微信退款单号", "WeChat refund no."}, "refund_fee": {"退款金额(分)", "Refund amount (fen)"},
	"refund_status": {"退款状态", "Refund status"}, "refund_desc": {"退款原因", "Refund reason"},
	"req_info": {"加密信息", "Encrypted information"}, "success_time": {"支付完成时间", "Paid at"},
	"description": {"商品描述", "Description"}, "amount.total": {"订单金额(分)", "Order amount (fen)"},
	"amount.payer_total": {"用户支付金额(分)", "Payer paid (fen)"}, "amount.currency": {"币种", "Currency"},
	"amount.payer_currency": {"用户支付币种", "Payer currency"}, "amount.refund": {"退款金额(分)", "Refund amount (fen)"},
	"payer.openid": {"用户标识", "Payer's openid"}, "code": {"错误代码", "Error code"}, "message": {"错误描述", "Error message"},
	"pid": {"商户ID", "Merchant ID"}, "type": {"支付方式", "Payment type"}, "name": {"商品名称", "Item name"},
	"money": {"金额(元)", "Amount (yuan)"}, "param": {"附加参数", "Extra parameter"},
}
