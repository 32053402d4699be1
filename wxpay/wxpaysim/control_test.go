package wxpaysim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay/wxpaysim"
)

func postJSON(tb testing.TB, u, body string) (int, []byte) {
	tb.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func decode[T any](tb testing.TB, b []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("JSON %s: %v", b, err)
	}
	return v
}

type pending struct {
	Faults []struct {
		Fault    string `json:"fault"`
		Count    int    `json:"count"`
		Delay    string `json:"delay"`
		Endpoint string `json:"endpoint"`
	} `json:"faults"`
}

func TestControlFaults(t *testing.T) {
	r := manualRig(t)
	status, body := postJSON(t, r.ts.URL+"/control", `{"fault":"drop","count":3}`)
	if status != http.StatusOK {
		t.Fatalf("HTTP %d %s", status, body)
	}
	postJSON(t, r.ts.URL+"/control", `{"fault":"hang","endpoint":"orderquery","delay":"20s"}`)
	_, b := get(t, r.ts.URL+"/control")
	p := decode[pending](t, []byte(b))
	if len(p.Faults) != 2 || p.Faults[0].Fault != "drop" || p.Faults[0].Count != 3 ||
		p.Faults[1].Delay != "20s" || p.Faults[1].Endpoint != "orderquery" {
		t.Errorf("pending = %s", b)
	}
	got := r.sim.PendingFaults()
	if got[1].Kind != wxpaysim.FaultHang || got[1].Delay != 20*time.Second {
		t.Errorf("Go view of the faults = %+v", got)
	}
	for _, bad := range []string{`{"fault":"explode"}`, `{"fault":"drop","cuont":2}`, `{"fault":"delay","delay":"soon"}`, `not json`} {
		if status, body := postJSON(t, r.ts.URL+"/control", bad); status != http.StatusBadRequest || !strings.Contains(string(body), "error") {
			t.Errorf("%s: HTTP %d %s, want 400", bad, status, body)
		}
	}
	postJSON(t, r.ts.URL+"/control", `{"fault":"clear"}`)
	if len(r.sim.PendingFaults()) != 0 {
		t.Error("clear left faults pending")
	}
}

func TestControlOrdersPayAndDeliveries(t *testing.T) {
	r := manualRig(t)
	m := newMerchant(t, nil)
	c := r.client(t)
	code := place(t, c, orderReq("CTRL-00001", m.url()))
	place(t, c, orderReq("CTRL-00002", m.url()))

	status, body := postJSON(t, r.ts.URL+"/control/pay", `{"out_trade_no":"CTRL-00002"}`)
	if info := decode[wxpaysim.OrderInfo](t, body); status != 200 || info.TradeState != "SUCCESS" || info.TransactionID == "" {
		t.Errorf("pay by out_trade_no: HTTP %d %s", status, body)
	}
	if status, body := postJSON(t, r.ts.URL+"/control/pay", `{"code_url":"`+code+`"}`); status != 200 {
		t.Errorf("pay by code_url: HTTP %d %s", status, body)
	}
	status, body = postJSON(t, r.ts.URL+"/control/pay", `{"code_url":"`+code+`"}`)
	if status != http.StatusConflict || !strings.Contains(string(body), "订单已支付") {
		t.Errorf("paying twice: HTTP %d %s", status, body)
	}
	if status, _ := postJSON(t, r.ts.URL+"/control/pay", `{"out_trade_no":"NOSUCH-01"}`); status != http.StatusNotFound {
		t.Errorf("unknown order: HTTP %d", status)
	}
	place(t, c, orderReq("CTRL-00003", m.url()))

	_, b := get(t, r.ts.URL+"/control/orders?trade_state=SUCCESS")
	orders := decode[[]wxpaysim.OrderInfo](t, []byte(b))
	if len(orders) != 2 || orders[0].OutTradeNo != "CTRL-00001" || orders[1].OutTradeNo != "CTRL-00002" {
		t.Errorf("paid orders = %s", b)
	}
	if _, b := get(t, r.ts.URL+"/control/orders"); len(decode[[]wxpaysim.OrderInfo](t, []byte(b))) != 3 {
		t.Errorf("all orders = %s", b)
	}

	eventually(t, "both notifications", func() bool { return len(r.sim.Deliveries()) == 2 })
	_, b = get(t, r.ts.URL+"/deliveries?out_trade_no=CTRL-00002")
	ds := decode[[]map[string]any](t, []byte(b))
	if len(ds) != 1 || ds[0]["out_trade_no"] != "CTRL-00002" || ds[0]["attempt"] != 1.0 ||
		ds[0]["accepted"] != true || ds[0]["http_status"] != 200.0 || !strings.Contains(ds[0]["reply"].(string), "SUCCESS") {
		t.Errorf("deliveries = %s", b)
	}
	if _, b := get(t, r.ts.URL+"/deliveries"); len(decode[[]wxpaysim.Delivery](t, []byte(b))) != 2 {
		t.Errorf("all deliveries = %s", b)
	}
}
