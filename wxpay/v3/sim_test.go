package wxpayv3_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wxpayv3 "wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

// The client against the real simulator (wxpaysim), with keys it made.

var (
	simKeysOnce sync.Once
	simKeys     *wxpaysim.V3Keys
	simKeysErr  error
)

func loadSimKeys(tb testing.TB) *wxpaysim.V3Keys {
	tb.Helper()
	simKeysOnce.Do(func() { simKeys, simKeysErr = wxpaysim.GenerateV3Keys(rand.Reader) })
	if simKeysErr != nil {
		tb.Fatal(simKeysErr)
	}
	return simKeys
}

// parsed is what the merchant's notify endpoint made of one notification.
type parsed struct {
	n   *wxpayv3.Notification
	err error
}

// simRig is the simulator signing with mode, and a merchant whose notify
// endpoint parses with the client and answers 204 or 400 as §7 says.
type simRig struct {
	sim       *wxpaysim.Server
	url       string
	keys      *wxpaysim.V3Keys
	notifyURL string
	c         *wxpayv3.Client // the merchant, trusting the public key and the certificate
	notices   chan parsed
}

func newSimRig(tb testing.TB, mode string, change ...func(*wxpaysim.Options)) *simRig {
	tb.Helper()
	r := &simRig{keys: loadSimKeys(tb), notices: make(chan parsed, 16)}
	var merchant atomic.Pointer[wxpayv3.Client] // set below, before any order is paid
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		n, err := merchant.Load().ParseNotification(req.Header, body)
		r.notices <- parsed{n, err}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write(wxpayv3.FailReply("refused"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(shop.Close)
	opts := wxpaysim.Options{V3Keys: r.keys, V3Sign: mode, MinCloseAge: -1}
	for _, f := range change {
		f(&opts)
	}
	sim, err := wxpaysim.Open(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(sim)
	tb.Cleanup(func() { sim.Close(); ts.Close() })
	r.sim, r.url = sim, ts.URL
	r.notifyURL = shop.URL + "/wxpay/v3/notify"
	r.c = r.client(tb, "pubkey", "cert")
	merchant.Store(r.c)
	return r
}

// client is the simulator's demo merchant trusting what modes name, as
// configured from the --keys files.
func (r *simRig) client(tb testing.TB, modes ...string) *wxpayv3.Client {
	tb.Helper()
	v := wxpayv3.NewVerifier()
	for _, m := range modes {
		switch m {
		case "pubkey":
			v.Add(r.keys.PublicKeyID, r.keys.PublicKey())
		case "cert":
			v.Add(r.keys.PlatformSerial(), r.keys.PlatformCert.PublicKey.(*rsa.PublicKey))
		}
	}
	return newClient(tb, wxpayv3.Config{BaseURL: r.url, AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID,
		Signer:   wxpayv3.Signer{Serial: r.keys.MchSerial(), Key: r.keys.MchKey},
		Verifier: v, APIv3Key: []byte(r.keys.APIv3Key), NotifyURL: r.notifyURL})
}

// next waits for the merchant's next notification. The bound only keeps
// a broken simulator from hanging the test.
func (r *simRig) next(tb testing.TB) parsed {
	tb.Helper()
	select {
	case p := <-r.notices:
		return p
	case <-time.After(20 * time.Second):
		tb.Fatal("no notification came")
		return parsed{}
	}
}

const simNo = "20241123150405000000Sim0001"

// Every endpoint's success and a payment notified, in each signing mode:
// the public key, the platform certificate, and both by turns (the switch).
func TestClientAgainstSimulator(t *testing.T) {
	for _, mode := range []string{wxpaysim.V3SignPubKey, wxpaysim.V3SignCert, wxpaysim.V3SignBoth} {
		t.Run(mode, func(t *testing.T) {
			r := newSimRig(t, mode)
			ctx := context.Background()
			req := wxpayv3.NativeRequest{Description: "咖啡豆 500g", OutTradeNo: simNo, Total: 8800, Attach: "sku=beans",
				TimeExpire: time.Now().Add(15 * time.Minute)}
			o, err := r.c.NativeOrder(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := r.c.NativeOrder(ctx, req); err != nil || again.CodeURL != o.CodeURL {
				t.Fatalf("re-entry = %+v, %v; want %s", again, err, o.CodeURL)
			}
			q, err := r.c.QueryOrder(ctx, simNo)
			if err != nil || q.TradeState != wxpayv3.TradeNotPay || q.Paid() {
				t.Fatalf("before paying: %+v, %v", q, err)
			}
			if err := r.sim.PayOutTradeNo(simNo); err != nil {
				t.Fatal(err)
			}
			p := r.next(t)
			if p.err != nil {
				t.Fatalf("the simulator's notification: %v", p.err)
			}
			q, err = r.c.QueryOrder(ctx, simNo)
			if err != nil || !q.Paid() {
				t.Fatalf("after paying: %+v, %v", q, err)
			}
			n := p.n.Transaction
			if n == nil || !n.Paid() || n.OutTradeNo != simNo || n.TotalFee != 8800 || n.Attach != "sku=beans" ||
				n.TransactionID == "" || n.TransactionID != q.TransactionID || n.OpenID != q.OpenID || !n.TimeEnd.Equal(q.SuccessTime) ||
				q.Total != 8800 || q.Attach != "sku=beans" || q.OpenID == "" || q.SuccessTime.IsZero() {
				t.Fatalf("notification %+v and query %+v disagree", n, q.Transaction)
			}
			// Closing: a paid order is ORDERPAID; an unpaid one closes with
			// 204 and then re-entry is ORDER_CLOSED.
			if _, err := r.c.CloseOrder(ctx, simNo); wxpayv3.ErrCode(err) != wxpayv3.CodeOrderPaid {
				t.Fatalf("close of a paid order = %v", err)
			}
			other := req
			other.OutTradeNo = simNo + "X"
			if _, err := r.c.NativeOrder(ctx, other); err != nil {
				t.Fatal(err)
			}
			if cr, err := r.c.CloseOrder(ctx, other.OutTradeNo); err != nil || cr.Exchange.HTTPStatus != http.StatusNoContent {
				t.Fatalf("close = %+v, %v", cr, err)
			}
			if q, err := r.c.QueryOrder(ctx, other.OutTradeNo); err != nil || q.TradeState != wxpayv3.TradeClosed {
				t.Fatalf("after close: %+v, %v", q, err)
			}
			if _, err := r.c.NativeOrder(ctx, other); wxpayv3.ErrCode(err) != wxpayv3.CodeOrderClosed {
				t.Fatalf("re-entry of a closed order = %v", err)
			}
		})
	}
}

// During the switch the simulator signs by turns; a merchant that trusts
// only the public key refuses every other reply (unknown serial) and
// trusts none of them, while one trusting both takes every one.
func TestSimulatorSwitchPeriod(t *testing.T) {
	r := newSimRig(t, wxpaysim.V3SignBoth)
	ctx := context.Background()
	if _, err := r.c.NativeOrder(ctx, wxpayv3.NativeRequest{Description: "咖啡", OutTradeNo: simNo, Total: 1}); err != nil {
		t.Fatal(err)
	}
	pubOnly := r.client(t, "pubkey")
	var ok, unknown int
	for range 6 {
		_, err := pubOnly.QueryOrder(ctx, simNo)
		switch {
		case err == nil:
			ok++
		case wxpayv3.IsTransport(err) && errors.Is(err, wxpayv3.ErrUnknownSerial):
			unknown++
		default:
			t.Fatalf("query: %v", err)
		}
	}
	for range 6 {
		if _, err := r.c.QueryOrder(ctx, simNo); err != nil {
			t.Fatalf("a merchant trusting both: %v", err)
		}
	}
	if ok == 0 || unknown == 0 {
		t.Fatalf("public-key-only merchant: %d verified, %d unknown serial; want both kinds", ok, unknown)
	}
}

// Every error the client must tell apart, from the simulator.
func TestSimulatorErrors(t *testing.T) {
	r := newSimRig(t, wxpaysim.V3SignPubKey)
	ctx := context.Background()
	order := func(c *wxpayv3.Client, no string, total int64) error {
		_, err := c.NativeOrder(ctx, wxpayv3.NativeRequest{Description: "咖啡", OutTradeNo: no, Total: total})
		return err
	}
	if err := order(r.c, simNo, 1); err != nil {
		t.Fatal(err)
	}
	// What a merchant with the wrong apiclient_key.pem sends.
	wrongKey := newClient(t, wxpayv3.Config{BaseURL: r.url, AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID,
		Signer: wxpayv3.Signer{Serial: r.keys.MchSerial(), Key: loadKeys(t).merchant}, Verifier: r.verifier(),
		APIv3Key: []byte(r.keys.APIv3Key), NotifyURL: r.notifyURL})
	otherApp := newClient(t, wxpayv3.Config{BaseURL: r.url, AppID: "wx0000000000000000", MchID: wxpaysim.DemoMchID,
		Signer: wxpayv3.Signer{Serial: r.keys.MchSerial(), Key: r.keys.MchKey}, Verifier: r.verifier(),
		APIv3Key: []byte(r.keys.APIv3Key), NotifyURL: r.notifyURL})
	tests := []struct {
		name      string
		call      func() error
		status    int
		code      string
		transport bool
	}{
		{"SIGN_ERROR: another merchant key", func() error { return order(wrongKey, simNo+"1", 1) }, 401, "SIGN_ERROR", false},
		{"APPID_MCHID_NOT_MATCH", func() error { return order(otherApp, simNo+"2", 1) }, 400, "APPID_MCHID_NOT_MATCH", false},
		{"INVALID_REQUEST: re-entry with another amount", func() error { return order(r.c, simNo, 2) }, 400, "INVALID_REQUEST", false},
		{"ORDER_NOT_EXIST on query", func() error { _, err := r.c.QueryOrder(ctx, simNo+"3"); return err }, 404, "ORDER_NOT_EXIST", false},
		{"ORDER_NOT_EXIST on close", func() error { _, err := r.c.CloseOrder(ctx, simNo+"3"); return err }, 404, "ORDER_NOT_EXIST", false},
		{"SYSTEM_ERROR 500, injected", func() error {
			if err := r.sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultSystemError, Endpoint: "orderquery"}); err != nil {
				t.Fatal(err)
			}
			_, err := r.c.QueryOrder(ctx, simNo)
			return err
		}, 500, "SYSTEM_ERROR", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var we *wxpayv3.Error
			var te *wxpayv3.TransportError
			switch {
			case tt.transport && (!errors.As(err, &te) || te.HTTPStatus != tt.status || te.Code != tt.code || !wxpayv3.IsRetryable(err)):
				t.Fatalf("%v, want a retryable TransportError HTTP %d %s", err, tt.status, tt.code)
			case !tt.transport && (!errors.As(err, &we) || we.HTTPStatus != tt.status || we.Code != tt.code || we.Message == ""):
				t.Fatalf("%v, want an Error HTTP %d %s", err, tt.status, tt.code)
			}
		})
	}
	// After SYSTEM_ERROR the same call goes through.
	if _, err := r.c.QueryOrder(ctx, simNo); err != nil {
		t.Fatalf("retry after SYSTEM_ERROR: %v", err)
	}
	// A call the simulator never answers is an unknown outcome.
	if err := r.sim.Inject(wxpaysim.Fault{Kind: wxpaysim.FaultHang, Endpoint: "closeorder"}); err != nil {
		t.Fatal(err)
	}
	hctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := r.c.CloseOrder(hctx, simNo); !wxpayv3.IsTransport(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung close = %v, want a TransportError", err)
	}
}

func (r *simRig) verifier() *wxpayv3.Verifier {
	v := wxpayv3.NewVerifier()
	v.Add(r.keys.PublicKeyID, r.keys.PublicKey())
	return v
}
