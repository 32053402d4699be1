package wxpaysim_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

// RSA key generation is slow, so the package's tests share one set.
var (
	keysOnce sync.Once
	keysVal  *wxpaysim.V3Keys
	keysErr  error
)

func testKeys(tb testing.TB) *wxpaysim.V3Keys {
	tb.Helper()
	keysOnce.Do(func() { keysVal, keysErr = wxpaysim.GenerateV3Keys(rand.Reader) })
	if keysErr != nil {
		tb.Fatalf("GenerateV3Keys: %v", keysErr)
	}
	return keysVal
}

// v3Rig is a simulator with v3 keys on a manual clock, signing with mode.
func v3Rig(tb testing.TB, mode string, change ...func(*wxpaysim.Options)) *rig {
	tb.Helper()
	opts := wxpaysim.Options{Clock: wxpaysim.NewManualClock(t0), MinCloseAge: -1, V3Keys: testKeys(tb), V3Sign: mode}
	for _, f := range change {
		f(&opts)
	}
	return newRig(tb, opts)
}

// verifierFor trusts what a merchant configured for mode trusts.
func verifierFor(k *wxpaysim.V3Keys, mode string) *wxpayv3.Verifier {
	v := wxpayv3.NewVerifier()
	if mode != wxpaysim.V3SignCert {
		v.Add(k.PublicKeyID, k.PublicKey())
	}
	if mode != wxpaysim.V3SignPubKey {
		v.Add(k.PlatformSerial(), &k.PlatformKey.PublicKey)
	}
	return v
}

// v3req is one signed request; the zero fields are the demo merchant's.
type v3req struct {
	method, path string
	body         []byte
	// Changes to the signature, for the SIGN_ERROR cases.
	key        *rsa.PrivateKey
	serial     string
	mchID      string
	at         time.Time
	signedPath string // "" signs path
	signedBody []byte // nil signs body
	noAuth     bool
}

// v3resp is a reply, its signature already checked.
type v3resp struct {
	status int
	header http.Header
	body   []byte
}

func (r v3resp) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		tb.Fatalf("reply %d %q: %v", r.status, r.body, err)
	}
	return m
}

// code is a refusal's code, "" for a success.
func (r v3resp) code(tb testing.TB) string {
	tb.Helper()
	if r.status/100 == 2 {
		return ""
	}
	c, _ := r.json(tb)["code"].(string)
	return c
}

// do sends q and checks that the reply verifies for a merchant trusting
// both the public key and the platform certificate.
func (r *rig) do(tb testing.TB, q v3req) v3resp {
	tb.Helper()
	resp := r.doRaw(tb, q)
	if err := verifierFor(testKeys(tb), wxpaysim.V3SignBoth).Verify(resp.header, resp.body, r.clock.Now()); err != nil {
		tb.Fatalf("%s %s: reply %d does not verify: %v", q.method, q.path, resp.status, err)
	}
	return resp
}

func (r *rig) doRaw(tb testing.TB, q v3req) v3resp {
	tb.Helper()
	k := testKeys(tb)
	signer := wxpayv3.Signer{MchID: wxpaysim.DemoMchID, Serial: k.MchSerial(), Key: k.MchKey}
	if q.key != nil {
		signer.Key = q.key
	}
	if q.serial != "" {
		signer.Serial = q.serial
	}
	if q.mchID != "" {
		signer.MchID = q.mchID
	}
	at := r.clock.Now()
	if !q.at.IsZero() {
		at = q.at
	}
	signedPath, signedBody := q.path, q.body
	if q.signedPath != "" {
		signedPath = q.signedPath
	}
	if q.signedBody != nil {
		signedBody = q.signedBody
	}
	auth, err := signer.Authorization(q.method, signedPath, signedBody, at, wxpay.NewNonce())
	if err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest(q.method, r.ts.URL+q.path, bytes.NewReader(q.body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if !q.noAuth {
		req.Header.Set("Authorization", auth)
	}
	resp, err := r.ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return v3resp{status: resp.StatusCode, header: resp.Header, body: b}
}

// nativeBody is a valid Native order, expiring in 15 minutes.
func nativeBody(no, notifyURL string, now time.Time) map[string]any {
	return map[string]any{
		"appid": wxpaysim.DemoAppID, "mchid": wxpaysim.DemoMchID, "description": "测试商品",
		"out_trade_no": no, "notify_url": notifyURL, "attach": "note=1",
		"time_expire": now.Add(15 * time.Minute).In(wxpay.Beijing()).Format(time.RFC3339),
		"amount":      map[string]any{"total": 1234, "currency": "CNY"},
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func (r *rig) native(tb testing.TB, body map[string]any) v3resp {
	tb.Helper()
	return r.do(tb, v3req{method: http.MethodPost, path: "/v3/pay/transactions/native", body: mustJSON(tb, body)})
}

func (r *rig) query(tb testing.TB, no string) v3resp {
	tb.Helper()
	return r.do(tb, v3req{method: http.MethodGet, path: "/v3/pay/transactions/out-trade-no/" + no + "?mchid=" + wxpaysim.DemoMchID})
}

func (r *rig) closeV3(tb testing.TB, no string) v3resp {
	tb.Helper()
	return r.do(tb, v3req{method: http.MethodPost, path: "/v3/pay/transactions/out-trade-no/" + no + "/close",
		body: []byte(`{"mchid":"` + wxpaysim.DemoMchID + `"}`)})
}

// v3Merchant is a v3 notify_url that records each notification with its
// headers and answers with answer (by default 204).
type v3Merchant struct {
	ts     *httptest.Server
	answer func(n int) int // n counts notifications from 1
	mu     sync.Mutex
	got    []v3resp
}

func newV3Merchant(tb testing.TB, answer func(n int) int) *v3Merchant {
	tb.Helper()
	if answer == nil {
		answer = func(int) int { return http.StatusNoContent }
	}
	m := &v3Merchant{answer: answer}
	m.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.got = append(m.got, v3resp{header: r.Header.Clone(), body: body})
		n := len(m.got)
		m.mu.Unlock()
		w.WriteHeader(m.answer(n))
	}))
	tb.Cleanup(m.ts.Close)
	return m
}

func (m *v3Merchant) url() string { return m.ts.URL + "/wxpay/v3/notify" }

func (m *v3Merchant) received() []v3resp {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]v3resp(nil), m.got...)
}

// notification is a decoded v3 notification and its decrypted resource.
type notification struct {
	envelope map[string]any
	resource map[string]any // the resource's own fields
	txn      map[string]any
}

// open verifies n for mode at now, and decrypts it with the APIv3 key.
func openNotification(tb testing.TB, n v3resp, mode string, now time.Time) notification {
	tb.Helper()
	k := testKeys(tb)
	if err := verifierFor(k, mode).Verify(n.header, n.body, now); err != nil {
		tb.Fatalf("notification does not verify: %v", err)
	}
	var env struct {
		Resource wxpayv3.Resource `json:"resource"`
	}
	var out notification
	if err := json.Unmarshal(n.body, &env); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(n.body, &out.envelope); err != nil {
		tb.Fatal(err)
	}
	out.resource, _ = out.envelope["resource"].(map[string]any)
	plain, err := wxpayv3.Decrypt([]byte(k.APIv3Key), env.Resource)
	if err != nil {
		tb.Fatalf("resource does not decrypt: %v", err)
	}
	if err := json.Unmarshal(plain, &out.txn); err != nil {
		tb.Fatal(err)
	}
	return out
}
