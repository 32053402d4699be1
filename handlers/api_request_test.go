package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"wxcheckout/internal/testrig"
)

func TestAPICreateRefusesBadRequestsAndCreatesNothing(t *testing.T) {
	r := testrig.New(t, testrig.Options{ForbidPrivateNotify: true})
	app := r.MerchantApp(t, "api")
	const ok = `"out_trade_no":"B1","amount":100,"name":"Item"`
	tests := []struct {
		name, body, contentType string
		status                  int
		code                    string
	}{
		{"empty body", ``, "application/json", 400, "invalid_json"},
		{"not JSON", `out_trade_no=B1&amount=100`, "", 400, "invalid_json"},
		{"truncated", `{` + ok, "", 400, "invalid_json"},
		{"an array", `[{` + ok + `}]`, "", 400, "invalid_json"},
		{"null", `null`, "", 400, "invalid_json"},
		{"two values", `{` + ok + `} {}`, "", 400, "invalid_json"},
		{"trailing junk", `{` + ok + `}x`, "", 400, "invalid_json"},
		{"a name twice", `{` + ok + `,"amount":1}`, "", 400, "invalid_json"},
		{"unknown field", `{` + ok + `,"money":"1.00"}`, "", 400, "unknown_field"},
		{"field in other case", `{"out_trade_no":"B1","Amount":100,"name":"Item"}`, "", 400, "unknown_field"},
		{"fractional amount", `{"out_trade_no":"B1","amount":1.5,"name":"Item"}`, "", 400, "invalid_type"},
		{"amount .0", `{"out_trade_no":"B1","amount":100.0,"name":"Item"}`, "", 400, "invalid_type"},
		{"amount exponent", `{"out_trade_no":"B1","amount":1e2,"name":"Item"}`, "", 400, "invalid_type"},
		{"amount string", `{"out_trade_no":"B1","amount":"100","name":"Item"}`, "", 400, "invalid_type"},
		{"amount too big for int64", `{"out_trade_no":"B1","amount":99999999999999999999,"name":"Item"}`, "", 400, "invalid_type"},
		{"number as out_trade_no", `{"out_trade_no":1,"amount":100,"name":"Item"}`, "", 400, "invalid_type"},
		{"object as name", `{"out_trade_no":"B1","amount":100,"name":{}}`, "", 400, "invalid_type"},
		{"expire_seconds string", `{` + ok + `,"expire_seconds":"600"}`, "", 400, "invalid_type"},
		{"no out_trade_no", `{"amount":100,"name":"Item"}`, "", 400, "missing_field"},
		{"empty out_trade_no", `{"out_trade_no":"","amount":100,"name":"Item"}`, "", 400, "missing_field"},
		{"no name", `{"out_trade_no":"B1","amount":100}`, "", 400, "missing_field"},
		{"null name", `{"out_trade_no":"B1","amount":100,"name":null}`, "", 400, "missing_field"},
		{"no amount", `{"out_trade_no":"B1","name":"Item"}`, "", 400, "invalid_amount"},
		{"zero amount", `{"out_trade_no":"B1","amount":0,"name":"Item"}`, "", 400, "invalid_amount"},
		{"negative amount", `{"out_trade_no":"B1","amount":-1,"name":"Item"}`, "", 400, "invalid_amount"},
		{"amount over the limit", `{"out_trade_no":"B1","amount":100000001,"name":"Item"}`, "", 400, "invalid_amount"},
		{"out_trade_no with space", `{"out_trade_no":"B 1","amount":100,"name":"Item"}`, "", 400, "invalid_out_trade_no"},
		{"out_trade_no too long", `{"out_trade_no":"` + strings.Repeat("9", 65) + `","amount":100,"name":"Item"}`, "", 400, "invalid_out_trade_no"},
		{"name padded", `{"out_trade_no":"B1","amount":100,"name":" Item"}`, "", 400, "invalid_name"},
		{"param with newline", `{` + ok + `,"param":"a\nb"}`, "", 400, "invalid_param"},
		{"notify_url not http", `{` + ok + `,"notify_url":"ftp://203.0.113.9/n"}`, "", 400, "invalid_notify_url"},
		{"notify_url relative", `{` + ok + `,"notify_url":"/hook"}`, "", 400, "invalid_notify_url"},
		{"notify_url loopback", `{` + ok + `,"notify_url":"http://127.0.0.1:8080/hook"}`, "", 400, "invalid_notify_url"},
		{"notify_url private", `{` + ok + `,"notify_url":"http://10.0.0.8/hook"}`, "", 400, "invalid_notify_url"},
		{"notify_url link-local", `{` + ok + `,"notify_url":"http://169.254.169.254/latest"}`, "", 400, "invalid_notify_url"},
		{"return_url javascript", `{` + ok + `,"return_url":"javascript:alert(1)"}`, "", 400, "invalid_return_url"},
		{"expire too short", `{` + ok + `,"expire_seconds":59}`, "", 400, "invalid_expire_seconds"},
		{"expire too long", `{` + ok + `,"expire_seconds":7201}`, "", 400, "invalid_expire_seconds"},
		{"expire negative", `{` + ok + `,"expire_seconds":-600}`, "", 400, "invalid_expire_seconds"},
		// 18446744674 s in nanoseconds wraps int64 to 10 minutes if unchecked.
		{"expire overflowing", `{` + ok + `,"expire_seconds":18446744674}`, "", 400, "invalid_expire_seconds"},
		{"form content type", `{` + ok + `}`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"no content type", `{` + ok + `}`, "-", 415, "unsupported_media_type"},
		{"text/plain", `{` + ok + `}`, "text/plain", 415, "unsupported_media_type"},
		{"GBK charset", `{` + ok + `}`, "application/json; charset=gbk", 415, "unsupported_media_type"},
		{"over 64 KiB", `{` + ok + `,"param":"` + strings.Repeat("a", 64<<10) + `"}`, "", 413, "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			switch tt.contentType {
			case "":
			case "-":
				header = []string{"Content-Type", ""}
			default:
				header = []string{"Content-Type", tt.contentType}
			}
			apiCall(t, r, app, "POST", "/api/v1/orders", tt.body, header...).wantErr(t, tt.status, tt.code)
		})
	}
	if n := len(r.Sim.Orders()); n != 0 {
		t.Fatalf("refused requests reached WeChat: %d orders", n)
	}
	if n := r.CountRows(t, "orders"); n != 0 {
		t.Fatalf("refused requests stored %d orders", n)
	}
	// The same body, well formed, is taken; so is a UTF-8 charset.
	apiCall(t, r, app, "POST", "/api/v1/orders", `{`+ok+`,"notify_url":"https://203.0.113.9/hook","expire_seconds":60}`,
		"Content-Type", "application/json; charset=UTF-8").order(t, http.StatusCreated)
}

func TestAPIRefusalMessagesNameTheProblem(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "api")
	tests := []struct{ body, lang, want string }{
		{`{"out_trade_no":"M1","amount":1.5,"name":"x"}`, "", "amount must be an integer"},
		{`{"out_trade_no":"M1","amount":0,"name":"x"}`, "", "amount must be a positive integer number of fen"},
		{`{"out_trade_no":"M1","amount":1,"name":"x","extra":1}`, "", "Unknown field extra"},
		{`{"amount":1,"name":"x"}`, "", "Missing parameter out_trade_no"},
		{`{"out_trade_no":"M1","amount":1,"name":"x","expire_seconds":1}`, "", "expire_seconds must be 60 to 7200"},
		{`{"out_trade_no":"M1","amount":1,"name":"x","extra":1}`, "zh-CN", "未知字段 extra"},
		{`{"out_trade_no":"M1","amount":0,"name":"x"}`, "zh", "amount 须为正整数"},
	}
	for _, tt := range tests {
		var header []string
		if tt.lang != "" {
			header = []string{"Accept-Language", tt.lang}
		}
		_, msg := apiCall(t, r, app, "POST", "/api/v1/orders", tt.body, header...).apiErr(t)
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s (%s): message %q, want %q", tt.body, tt.lang, msg, tt.want)
		}
	}
}
