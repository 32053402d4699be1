package wxpayv3_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

const errNo = "20241123150405000000Ab3dE5fG"

// call is one client call of the error table.
type call func(ctx context.Context, c *wxpayv3.Client) error

func nativeCall(total int64) call {
	return func(ctx context.Context, c *wxpayv3.Client) error {
		_, err := c.NativeOrder(ctx, wxpayv3.NativeRequest{Description: "咖啡", OutTradeNo: errNo, Total: total})
		return err
	}
}

func queryCall(ctx context.Context, c *wxpayv3.Client) error {
	_, err := c.QueryOrder(ctx, errNo)
	return err
}

func closeCall(ctx context.Context, c *wxpayv3.Client) error {
	_, err := c.CloseOrder(ctx, errNo)
	return err
}

// withOrder places errNo (total 1) and then runs more, if any.
func withOrder(more func(f *fakeWeChat, c *wxpayv3.Client)) func(f *fakeWeChat, c *wxpayv3.Client) {
	return func(f *fakeWeChat, c *wxpayv3.Client) {
		if err := nativeCall(1)(context.Background(), c); err != nil {
			panic(err)
		}
		if more != nil {
			more(f, c)
		}
	}
}

func knob(fn func(f *fakeWeChat)) func(f *fakeWeChat, c *wxpayv3.Client) {
	return func(f *fakeWeChat, _ *wxpayv3.Client) { f.set(fn) }
}

func replyWith(status int, v any) func(f *fakeWeChat, c *wxpayv3.Client) {
	return knob(func(f *fakeWeChat) {
		f.reply = func(w http.ResponseWriter, _ *http.Request) bool { f.writeJSON(w, status, v); return true }
	})
}

type errCase struct {
	name      string
	setup     func(f *fakeWeChat, c *wxpayv3.Client)
	editCfg   func(k *testKeys, cfg *wxpayv3.Config)
	call      call
	answered  bool // *Error; otherwise *TransportError
	status    int
	code      string
	retryable bool
	is        error
}

func errCases() []errCase {
	closed := withOrder(func(f *fakeWeChat, c *wxpayv3.Client) {
		if err := closeCall(context.Background(), c); err != nil {
			panic(err)
		}
	})
	paid := withOrder(func(f *fakeWeChat, _ *wxpayv3.Client) { f.pay(errNo) })
	tampered := func(mode string) func(f *fakeWeChat, c *wxpayv3.Client) {
		return knob(func(f *fakeWeChat) { f.tamper = mode })
	}
	return []errCase{
		{name: "PARAM_ERROR 400", setup: knob(func(f *fakeWeChat) { f.fail = &fakeFail{400, "PARAM_ERROR", "参数错误"} }),
			call: nativeCall(1), answered: true, status: 400, code: "PARAM_ERROR"},
		{name: "SIGN_ERROR 401: signed with another key", editCfg: func(k *testKeys, cfg *wxpayv3.Config) { cfg.Signer.Key = k.platform },
			call: nativeCall(1), answered: true, status: 401, code: "SIGN_ERROR"},
		{name: "SIGN_ERROR 401: another certificate serial", editCfg: func(_ *testKeys, cfg *wxpayv3.Config) { cfg.Signer.Serial = testPlatformSerial },
			call: queryCall, answered: true, status: 401, code: "SIGN_ERROR"},
		{name: "ORDER_NOT_EXIST 404 on query", call: queryCall, answered: true, status: 404, code: "ORDER_NOT_EXIST"},
		{name: "ORDER_NOT_EXIST 404 on close", call: closeCall, answered: true, status: 404, code: "ORDER_NOT_EXIST"},
		{name: "ORDERPAID on close", setup: paid, call: closeCall, answered: true, status: 400, code: "ORDERPAID"},
		{name: "ORDERPAID on re-entry", setup: paid, call: nativeCall(1), answered: true, status: 400, code: "ORDERPAID"},
		{name: "ORDER_CLOSED on re-entry", setup: closed, call: nativeCall(1), answered: true, status: 400, code: "ORDER_CLOSED"},
		{name: "ORDER_CLOSED on close", setup: closed, call: closeCall, answered: true, status: 400, code: "ORDER_CLOSED"},
		{name: "INVALID_REQUEST: re-entry with another amount", setup: withOrder(nil), call: nativeCall(2), answered: true, status: 400, code: "INVALID_REQUEST"},
		{name: "SYSTEM_ERROR 500", setup: knob(func(f *fakeWeChat) { f.fail = &fakeFail{500, "SYSTEM_ERROR", "系统错误"} }),
			call: nativeCall(1), status: 500, code: "SYSTEM_ERROR", retryable: true},
		{name: "502 from a proxy", setup: replyWith(502, "<html>bad gateway</html>"), call: queryCall, status: 502, retryable: true},
		{name: "reply with a bad signature", setup: withOrder(tampered("badsig")), call: queryCall, status: 200, retryable: true, is: wxpayv3.ErrBadSignature},
		{name: "404 with a bad signature is not an answer", setup: tampered("badsig"), call: queryCall, status: 404, retryable: true, is: wxpayv3.ErrBadSignature},
		{name: "ORDERPAID unsigned is not an answer", setup: withOrder(func(f *fakeWeChat, _ *wxpayv3.Client) {
			f.pay(errNo)
			f.set(func(f *fakeWeChat) { f.tamper = "nosig" })
		}), call: closeCall, status: 400, retryable: true, is: wxpayv3.ErrMissingHeader},
		{name: "reply without signature", setup: tampered("nosig"), call: nativeCall(1), status: 200, retryable: true, is: wxpayv3.ErrMissingHeader},
		{name: "reply under an unknown serial", setup: tampered("unknownserial"), call: nativeCall(1), status: 200, retryable: true, is: wxpayv3.ErrUnknownSerial},
		{name: "reply with a stale timestamp", setup: tampered("stale"), call: nativeCall(1), status: 200, retryable: true, is: wxpayv3.ErrStaleTimestamp},
		{name: "reply signed by the platform certificate, only the public key trusted",
			setup: knob(func(f *fakeWeChat) { f.signWith = "cert" }), editCfg: func(k *testKeys, cfg *wxpayv3.Config) { cfg.Verifier = k.verifier("pubkey") },
			call: nativeCall(1), status: 200, retryable: true, is: wxpayv3.ErrUnknownSerial},
		{name: "query reply of another merchant", setup: replyWith(200, func() map[string]any {
			tx := paidTransaction(errNo)
			tx["mchid"] = "1900000110"
			return tx
		}()), call: queryCall, status: 200, retryable: true, is: wxpay.ErrMerchantMismatch},
		{name: "query reply for another order", setup: replyWith(200, paidTransaction("20241123150405000000Ab3dE5fX")), call: queryCall, status: 200, retryable: true},
		{name: "paid query reply without transaction_id", setup: replyWith(200, func() map[string]any {
			tx := paidTransaction(errNo)
			delete(tx, "transaction_id")
			return tx
		}()), call: queryCall, status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "200 without code_url", setup: replyWith(200, map[string]any{"prepay_id": "wx1"}), call: nativeCall(1), status: 200, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "400 without a code", setup: replyWith(400, map[string]any{"message": "?"}), call: nativeCall(1), status: 400, retryable: true, is: wxpayv3.ErrMalformed},
		{name: "reply over 64 KiB", setup: replyWith(200, map[string]any{"code_url": "weixin://x", "pad": strings.Repeat("a", 70_000)}),
			call: nativeCall(1), status: 200, retryable: true},
		{name: "a redirect is not followed", setup: knob(func(f *fakeWeChat) {
			f.reply = func(w http.ResponseWriter, r *http.Request) bool {
				http.Redirect(w, r, "/v3/elsewhere", http.StatusFound)
				return true
			}
		}), call: queryCall, status: 302, retryable: true, is: wxpayv3.ErrMissingHeader},
	}
}

func TestCallErrors(t *testing.T) {
	for _, tt := range errCases() {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			cfg := f.keys.config(f.srv.URL)
			if tt.editCfg != nil {
				tt.editCfg(f.keys, &cfg)
			}
			c := newClient(t, cfg)
			if tt.setup != nil {
				tt.setup(f, newClient(t, f.keys.config(f.srv.URL)))
			}
			err := tt.call(context.Background(), c)
			checkCallError(t, err, tt)
		})
	}
}

func checkCallError(t *testing.T, err error, tt errCase) {
	t.Helper()
	var we *wxpayv3.Error
	var te *wxpayv3.TransportError
	switch {
	case err == nil:
		t.Fatal("no error")
	case tt.answered && !errors.As(err, &we):
		t.Fatalf("%v (%T), want *Error", err, err)
	case tt.answered && (we.HTTPStatus != tt.status || we.Code != tt.code || we.Message == "" || we.Exchange == nil):
		t.Fatalf("Error = %+v, want HTTP %d %s with a message and an exchange", we, tt.status, tt.code)
	case !tt.answered && !errors.As(err, &te):
		t.Fatalf("%v (%T), want *TransportError", err, err)
	case !tt.answered && (te.HTTPStatus != tt.status || te.Code != tt.code || te.Exchange == nil):
		t.Fatalf("TransportError = %+v (%v), want HTTP %d code %q with an exchange", te, te, tt.status, tt.code)
	case wxpayv3.IsTransport(err) == tt.answered:
		t.Fatalf("IsTransport = %v", !tt.answered)
	case wxpayv3.IsRetryable(err) != tt.retryable:
		t.Fatalf("IsRetryable = %v, want %v (%v)", !tt.retryable, tt.retryable, err)
	case tt.is != nil && !errors.Is(err, tt.is):
		t.Fatalf("%v does not wrap %v", err, tt.is)
	case wxpayv3.ExchangeOf(err) == nil:
		t.Fatal("ExchangeOf = nil")
	}
	if tt.answered && wxpayv3.ErrCode(err) != tt.code {
		t.Fatalf("ErrCode = %q", wxpayv3.ErrCode(err))
	}
}

func TestTimeoutIsTransport(t *testing.T) {
	f := newFake(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.set(func(f *fakeWeChat) {
		f.reply = func(w http.ResponseWriter, r *http.Request) bool {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return true
		}
	})
	c := newClient(t, f.keys.config(f.srv.URL))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := nativeCall(1)(ctx, c)
	if !wxpayv3.IsTransport(err) || !wxpayv3.IsRetryable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NativeOrder after the deadline = %v, want a retryable TransportError wrapping DeadlineExceeded", err)
	}
	f.srv.Close()
	if err := queryCall(context.Background(), c); !wxpayv3.IsTransport(err) {
		t.Fatalf("query of a closed server = %v, want a TransportError", err)
	}
}

// The switch period: WeChat signs with the platform certificate and the
// public key by turns, and a client trusting both verifies every reply.
func TestSwitchPeriodVerifiesBothByTurns(t *testing.T) {
	f := newFake(t)
	f.set(func(f *fakeWeChat) { f.signWith = "both" })
	c := newClient(t, f.keys.config(f.srv.URL))
	ctx := context.Background()
	if err := nativeCall(1)(ctx, c); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := queryCall(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := closeCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	got := f.replySerials()
	want := []string{testPubKeyID, testPlatformSerial, testPubKeyID, testPlatformSerial, testPubKeyID, testPlatformSerial, testPubKeyID}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("reply serials %v, want %v", got, want)
	}
	// Certificate serials compare case-insensitively, as openssl and WeChat
	// may print them differently.
	f.set(func(f *fakeWeChat) { f.signWith, f.tamper = "cert", "lowerserial" })
	if err := queryCall(ctx, c); err != nil {
		t.Fatalf("lower-case serial: %v", err)
	}
}
