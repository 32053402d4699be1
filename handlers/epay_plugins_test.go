package handlers_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// The shop systems' 易支付 plugins, as far as the gateway sees them, written
// from their documented algorithms (not from wxcheckout's gateway package),
// so that the tests sign requests exactly as the plugins in the field do.

// shopOrder is what a shop system hands its epay plugin.
type shopOrder struct {
	OutTradeNo, Name, Money, NotifyURL, ReturnURL, Param, Type string
}

func (o shopOrder) fields(pid int64) map[string]string {
	return map[string]string{"pid": strconv.FormatInt(pid, 10), "type": o.Type, "out_trade_no": o.OutTradeNo,
		"notify_url": o.NotifyURL, "return_url": o.ReturnURL, "name": o.Name, "money": o.Money, "param": o.Param}
}

// phpFloat prints fen/100 yuan as PHP prints a float ((string)(float)$x):
// the shortest form that reads back, so 58.00 is "58" and 9.90 is "9.9".
func phpFloat(fen int64) string { return strconv.FormatFloat(float64(fen)/100, 'f', -1, 64) }

// epaySDKSign is the epay SDK's sign, which dujiaoka (and most plugins)
// copy: ksort, skip sign, sign_type and empty values, join k=v with "&"
// and raw values, append the key, lower-case hex MD5.
func epaySDKSign(params map[string]string, key string) string {
	var names []string
	for k, v := range params {
		if v != "" && k != "sign" && k != "sign_type" {
			names = append(names, k)
		}
	}
	slices.Sort(names) // ksort: byte order for these ASCII names
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + params[k]
	}
	sum := md5.Sum([]byte(strings.Join(parts, "&") + key))
	return hex.EncodeToString(sum[:])
}

// signedForm is fields with the SDK's sign and sign_type, every field kept
// (an empty one is posted empty, as a PHP form posts it).
func signedForm(fields map[string]string, key string) url.Values {
	v := url.Values{}
	for k, x := range fields {
		v.Set(k, x)
	}
	v.Set("sign", epaySDKSign(fields, key))
	v.Set("sign_type", "MD5")
	return v
}

// dujiaokaForm is the form dujiaoka's epay driver renders and submits to
// submit.php: type wxpay, money as PHP prints the order's float amount.
func dujiaokaForm(app *models.MerchantApp, o shopOrder) url.Values {
	if o.Type == "" {
		o.Type = "wxpay"
	}
	return signedForm(o.fields(app.Pid), app.Key)
}

// phpQuery is PHP's http_build_query over sorted params: urlencode
// (spaces as "+") of names and values, joined with "&".
func phpQuery(params map[string]string, names []string) string {
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = url.QueryEscape(k) + "=" + url.QueryEscape(params[k])
	}
	return strings.Join(parts, "&")
}

// stripslashes is PHP's: a backslash goes and the character after it stays.
func stripslashes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			if i == len(s) {
				break
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// v2boardURL is where v2board's EPay.php sends the shopper: it builds pid,
// out_trade_no, notify_url, return_url, name and money (sprintf("%.2f")
// of the fen amount / 100; no type), signs stripslashes(urldecode(
// http_build_query(ksorted params))) . key, and redirects to
// submit.php?http_build_query(params + sign + sign_type).
func v2boardURL(base string, app *models.MerchantApp, fen int64, o shopOrder) string {
	p := map[string]string{"pid": strconv.FormatInt(app.Pid, 10), "out_trade_no": o.OutTradeNo,
		"notify_url": o.NotifyURL, "return_url": o.ReturnURL, "name": o.Name,
		"money": strconv.FormatInt(fen/100, 10) + "." + twoDigits(fen%100)}
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	slices.Sort(names)
	decoded, err := url.QueryUnescape(phpQuery(p, names))
	if err != nil {
		panic(err)
	}
	sum := md5.Sum([]byte(stripslashes(decoded) + app.Key))
	p["sign"], p["sign_type"] = hex.EncodeToString(sum[:]), "MD5"
	names = append(names, "sign", "sign_type")
	return base + "/submit.php?" + phpQuery(p, names)
}

func twoDigits(n int64) string { return strconv.FormatInt(100+n, 10)[1:] }

// submitPost is the shopper's browser submitting a plugin's form to
// submit.php; header is name, value pairs.
func submitPost(t *testing.T, r *testrig.Rig, form url.Values, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.App.URL+"/submit.php", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, r, req)
}

// submitGet is the shopper's browser following a plugin's redirect.
func submitGet(t *testing.T, r *testrig.Rig, u string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return do(t, r, req)
}

func do(t *testing.T, r *testrig.Rig, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := r.Browser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, testrig.ReadAll(t, resp)
}

// submitted checks that submit.php sent the shopper to a payment page and
// returns its order.
func submitted(t *testing.T, r *testrig.Rig, resp *http.Response, body string) *models.Order {
	t.Helper()
	token, ok := strings.CutPrefix(resp.Header.Get("Location"), "/pay/")
	if resp.StatusCode != http.StatusFound || !ok {
		t.Fatalf("submit.php = %d to %q (%s), want 302 to /pay/:token", resp.StatusCode, resp.Header.Get("Location"), errorMessage(body))
	}
	o, err := r.Svc.OrderByToken(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

var errorMessageRe = regexp.MustCompile(`<p id="error-message">([^<]*)</p>`)

// errorMessage is the text of an error page's #error-message, or "".
func errorMessage(body string) string {
	if m := errorMessageRe.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// mapiPost is the shop's server posting form to mapi.php (with
// multipart, as PHP's curl does when handed an array) and reading the
// reply, which is always HTTP 200 JSON.
func mapiPost(t *testing.T, r *testrig.Rig, form url.Values, asMultipart bool) map[string]any {
	t.Helper()
	body, ctype := strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	if asMultipart {
		var b strings.Builder
		w := multipart.NewWriter(&b)
		for k, vs := range form {
			for _, v := range vs {
				w.WriteField(k, v)
			}
		}
		w.Close()
		body, ctype = strings.NewReader(b.String()), w.FormDataContentType()
	}
	req, _ := http.NewRequest(http.MethodPost, r.App.URL+"/mapi.php", body)
	req.Header.Set("Content-Type", ctype)
	return epayJSON(t, r, req)
}

// epayJSON sends req and decodes the reply of mapi.php or api.php.
func epayJSON(t *testing.T, r *testrig.Rig, req *http.Request) map[string]any {
	t.Helper()
	resp, body := do(t, r, req)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s %s = %d %q, want 200 JSON", req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: %v in %s", req.URL.Path, err, body)
	}
	return m
}

// apiGet queries api.php with params in the query string.
func apiGet(t *testing.T, r *testrig.Rig, params url.Values) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.App.URL+"/api.php?"+params.Encode(), nil)
	return epayJSON(t, r, req)
}

// wantCode checks an epay JSON reply's code, a JSON number, and for a
// failure that msg contains wantMsg.
func wantCode(t *testing.T, what string, m map[string]any, code float64, wantMsg string) {
	t.Helper()
	got, ok := m["code"].(float64)
	msg, _ := m["msg"].(string)
	if !ok || got != code || !strings.Contains(msg, wantMsg) || msg == "" {
		t.Errorf("%s: code %#v msg %q, want code %v and a msg with %q", what, m["code"], msg, code, wantMsg)
	}
}

// nothingCreated checks that no order exists, here or at WeChat.
func nothingCreated(t *testing.T, r *testrig.Rig, what string) {
	t.Helper()
	if n, sim := r.CountRows(t, "orders"), len(r.Sim.Orders()); n != 0 || sim != 0 {
		t.Errorf("%s: %d orders stored and %d at WeChat, want none", what, n, sim)
	}
}
