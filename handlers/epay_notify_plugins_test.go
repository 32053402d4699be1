package handlers_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/wxpay/wxpaysim"
)

// dujiaokaVerifies is dujiaoka's epay notify handler: Laravel trims every
// input (TrimStrings), then the SDK's sign over the non-empty fields.
func dujiaokaVerifies(q url.Values, key string) bool {
	p := map[string]string{}
	for k := range q {
		p[k] = strings.TrimSpace(q.Get(k))
	}
	return p["trade_no"] != "" && epaySDKSign(p, key) == p["sign"]
}

// v2boardVerifies is v2board's EPay notify: every received field but sign
// and sign_type, empty ones included, ksorted, through
// stripslashes(urldecode(http_build_query(...))), the key appended, MD5.
func v2boardVerifies(q url.Values, key string) bool {
	p := map[string]string{}
	var names []string
	for k := range q {
		if k != "sign" && k != "sign_type" {
			p[k] = q.Get(k)
			names = append(names, k)
		}
	}
	slices.Sort(names)
	decoded, err := url.QueryUnescape(phpQuery(p, names))
	if err != nil {
		return false
	}
	sum := md5.Sum([]byte(stripslashes(decoded) + key))
	return hex.EncodeToString(sum[:]) == q.Get("sign")
}

// The notifications and return URLs of paid gateway orders pass both
// plugins' checks, whatever the name and param hold within what the
// gateway accepts (inner spaces, CJK, &, =, +, %, quotes), and with or
// without a param (an empty field would break v2board's check).
func TestEpayNotificationsPassThePluginsChecks(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	app := r.MerchantApp(t, "plugins")
	var mu sync.Mutex
	var got []url.Values
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		got = append(got, req.URL.Query())
		mu.Unlock()
		fmt.Fprint(w, "success")
	}))
	defer shop.Close()
	cases := []struct{ name, param string }{
		{"月卡 VIP 会员", ""},
		{"A&B=C+D 100% \"quoted\" 'single'", "uid=7&plan=a+b"},
		{"Plan #1 / 年付", "x y%20z"},
	}
	for i, c := range cases {
		o, _, err := r.Svc.PlaceGatewayOrder(context.Background(), checkout.GatewayRequest{App: app,
			OutTradeNo: fmt.Sprintf("PLUG-%d", i), Name: c.name, Param: c.param, Amount: 990,
			NotifyURL: shop.URL + "/notify", ReturnURL: "https://shop.example/return?order=" + fmt.Sprint(i), Style: models.NotifyEpay})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultDropAll, Count: 1}); err != nil {
			t.Fatal(err)
		}
		if err := r.Sim.Pay(o.CodeURL); err != nil {
			t.Fatal(err)
		}
		if err := r.Svc.Sync(context.Background(), o.OutTradeNo, "test"); err != nil {
			t.Fatal(err)
		}
		ret, err := r.Svc.ReturnURL(context.Background(), r.Order(t, o.OutTradeNo))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(ret)
		rq := u.Query()
		rq.Del("order") // the return_url's own query: not signed
		if !dujiaokaVerifies(rq, app.Key) || !v2boardVerifies(rq, app.Key) {
			t.Errorf("%q: return URL %s fails a plugin's check", c.name, ret)
		}
	}
	r.Deliver(t)
	if len(got) != len(cases) {
		t.Fatalf("%d notifications, want %d", len(got), len(cases))
	}
	for _, q := range got {
		if !dujiaokaVerifies(q, app.Key) {
			t.Errorf("dujiaoka refuses %v", q)
		}
		if !v2boardVerifies(q, app.Key) {
			t.Errorf("v2board refuses %v", q)
		}
		for k, v := range q {
			if v[0] == "" {
				t.Errorf("empty field %s in %v", k, q)
			}
		}
		if q.Get("money") != "9.90" || q.Get("trade_status") != "TRADE_SUCCESS" {
			t.Errorf("notification %v", q)
		}
	}
}
