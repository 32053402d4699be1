package wxpay_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/wxpay"
)

// testCA issues certificates made in the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(tb testing.TB, name string) *testCA {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a leaf for 127.0.0.1 with the given extended key usage.
func (ca *testCA) issue(tb testing.TB, usage x509.ExtKeyUsage) tls.Certificate {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// mtlsWeChat is the fake WeChat behind an httptest TLS server that requires
// a client certificate issued by the merchant CA of testdata/merchant.
type mtlsWeChat struct {
	*fakeWeChat
	srv      *httptest.Server
	serverCA *x509.CertPool // what the client must trust
	caPEM    []byte         // the same, as a PEM file's content
	peers    atomic.Int32   // requests that arrived with a verified client certificate
}

func newMTLSWeChat(tb testing.TB, reply func(http.ResponseWriter, wxpay.Params)) *mtlsWeChat {
	tb.Helper()
	f := &fakeWeChat{reply: reply}
	m := &mtlsWeChat{fakeWeChat: f}
	merchantCA := x509.NewCertPool()
	caPEM, err := os.ReadFile(merchantFile("ca.pem"))
	if err != nil || !merchantCA.AppendCertsFromPEM(caPEM) {
		tb.Fatalf("merchant CA: %v", err)
	}
	serverCA := newTestCA(tb, "Test WeChat server CA")
	m.serverCA = serverCA.pool
	m.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: serverCA.cert.Raw})
	m.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			m.peers.Add(1)
		}
		body, _ := io.ReadAll(r.Body)
		p, err := wxpay.Decode(body)
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, p)
		f.paths = append(f.paths, r.URL.Path)
		f.mu.Unlock()
		f.reply(w, p)
	}))
	m.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{serverCA.issue(tb, x509.ExtKeyUsageServerAuth)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    merchantCA,
		MinVersion:   tls.VersionTLS12,
	}
	m.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	m.srv.StartTLS()
	tb.Cleanup(m.srv.Close)
	return m
}

// refundClient is a client of m presenting cert (nil: none configured).
func refundClient(tb testing.TB, m *mtlsWeChat, cert *tls.Certificate) *wxpay.Client {
	tb.Helper()
	c, err := wxpay.NewClient(wxpay.Config{
		BaseURL: m.srv.URL, AppID: testAppID, MchID: testMchID, APIKey: testKey,
		HTTPClient: &http.Client{Timeout: 2 * time.Second},
		ClientCert: cert, RootCAs: m.serverCA,
	})
	if err != nil {
		tb.Fatalf("NewClient: %v", err)
	}
	return c
}

func merchantCert(tb testing.TB) *tls.Certificate {
	tb.Helper()
	cert, err := wxpay.LoadClientCertificate(merchantFile("apiclient_cert_legacy.p12"), "", "", "", testMchID)
	if err != nil {
		tb.Fatalf("LoadClientCertificate: %v", err)
	}
	return &cert
}

func goodRefund() *wxpay.RefundRequest {
	return &wxpay.RefundRequest{
		OutTradeNo: "20240501123456000000Ab3dE5fG", OutRefundNo: "R20240501123456000000Ab3dE5fG01",
		TotalFee: 2800, RefundFee: 1200, Reason: "缺货 & 退款", NotifyURL: "https://shop.example.com/wxpay/refund-notify",
	}
}

var refundAccepted = []string{"out_trade_no", "20240501123456000000Ab3dE5fG", "out_refund_no", "R20240501123456000000Ab3dE5fG01",
	"refund_id", "50000408942024050112345678901", "transaction_id", "4200001234202405011234567890",
	"total_fee", "2800", "refund_fee", "1200", "cash_fee", "2800"}

func TestRefundOverMutualTLS(t *testing.T) {
	m := newMTLSWeChat(t, replyWith(refundAccepted...))
	c := refundClient(t, m, merchantCert(t))
	resp, err := c.Refund(context.Background(), goodRefund())
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if resp.RefundID != "50000408942024050112345678901" || resp.Status != wxpay.RefundProcessing {
		t.Errorf("Refund = %q %q, want the refund_id and PROCESSING", resp.RefundID, resp.Status)
	}
	if resp.Exchange == nil || resp.Exchange.URL != m.srv.URL+"/secapi/pay/refund" {
		t.Errorf("exchange = %+v", resp.Exchange)
	}
	if m.peers.Load() != 1 {
		t.Errorf("%d requests came with a verified client certificate, want 1", m.peers.Load())
	}
	path, req := m.last(t)
	if path != "/secapi/pay/refund" {
		t.Errorf("path = %q, want /secapi/pay/refund", path)
	}
	want := map[string]string{
		"appid": testAppID, "mch_id": testMchID, "sign_type": "HMAC-SHA256",
		"out_trade_no": "20240501123456000000Ab3dE5fG", "out_refund_no": "R20240501123456000000Ab3dE5fG01",
		"total_fee": "2800", "refund_fee": "1200", "refund_desc": "缺货 & 退款",
		"notify_url": "https://shop.example.com/wxpay/refund-notify",
	}
	for k, v := range want {
		if req[k] != v {
			t.Errorf("request %s = %q, want %q", k, req[k], v)
		}
	}
	if len(req["nonce_str"]) != 32 {
		t.Errorf("nonce_str = %q", req["nonce_str"])
	}
	if len(req) != len(want)+2 {
		t.Errorf("request has %d fields, want %d: %v", len(req), len(want)+2, req)
	}
	if !refVerifies(req, testKey) {
		t.Error("request sign does not verify by the reference implementation")
	}
	if strings.Contains(string(resp.Exchange.Request)+string(resp.Exchange.Response), testKey) {
		t.Error("the exchange carries the API key")
	}
}

// Without the merchant certificate the server refuses the handshake: the
// request never reaches WeChat's handler.
func TestRefundTLSRefusedWithoutCertificate(t *testing.T) {
	m := newMTLSWeChat(t, replyWith(refundAccepted...))

	// A plain HTTPS client that trusts the server but has no certificate.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: m.serverCA}}}
	resp, err := hc.Post(m.srv.URL+"/secapi/pay/refund", "text/xml", strings.NewReader("<xml></xml>"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("POST without a client certificate: status %d, want a refused handshake", resp.StatusCode)
	}

	// A certificate from another CA is refused the same way, as an unknown outcome.
	other := newTestCA(t, "Not WeChat's merchant CA").issue(t, x509.ExtKeyUsageClientAuth)
	c := refundClient(t, m, &other)
	_, err = c.Refund(context.Background(), goodRefund())
	if !wxpay.IsTransport(err) || !wxpay.IsRetryable(err) {
		t.Errorf("Refund with a foreign certificate: err = %v, want a transport error", err)
	}

	// Not configured at all: refused before any request.
	c = refundClient(t, m, nil)
	_, err = c.Refund(context.Background(), goodRefund())
	if !errors.Is(err, wxpay.ErrNoClientCert) {
		t.Errorf("Refund without ClientCert: err = %v, want ErrNoClientCert", err)
	}
	if n := m.count(); n != 0 {
		t.Errorf("%d requests reached WeChat, want 0", n)
	}
}

// The server is verified too: a client that does not trust its CA (here the
// system roots) refuses it.
func TestRefundVerifiesServer(t *testing.T) {
	m := newMTLSWeChat(t, replyWith(refundAccepted...))
	c, err := wxpay.NewClient(wxpay.Config{BaseURL: m.srv.URL, AppID: testAppID, MchID: testMchID,
		APIKey: testKey, ClientCert: merchantCert(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Refund(context.Background(), goodRefund())
	var unknownAuthority x509.UnknownAuthorityError
	if !wxpay.IsTransport(err) || !errors.As(err, &unknownAuthority) {
		t.Errorf("Refund to an untrusted server: err = %v, want an unknown-authority transport error", err)
	}
	if m.count() != 0 {
		t.Error("the request reached an unverified server")
	}
}

// With no RootCAs the server is verified with the system roots, which
// SSL_CERT_FILE replaces. Go reads the system roots once per process, so the
// check runs in a child process of its own.
func TestRefundTrustsSSLCertFile(t *testing.T) {
	if os.Getenv("WXPAY_TEST_SSL_CERT_CHILD") == "1" {
		m := newMTLSWeChat(t, replyWith(refundAccepted...))
		file := filepath.Join(t.TempDir(), "roots.pem")
		if err := os.WriteFile(file, m.caPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Setenv("SSL_CERT_FILE", file) // before the first handshake loads the roots
		c, err := wxpay.NewClient(wxpay.Config{BaseURL: m.srv.URL, AppID: testAppID, MchID: testMchID,
			APIKey: testKey, ClientCert: merchantCert(t)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Refund(context.Background(), goodRefund()); err != nil {
			t.Fatalf("Refund with the server's CA in SSL_CERT_FILE: %v", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRefundTrustsSSLCertFile$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WXPAY_TEST_SSL_CERT_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestRefundReplies(t *testing.T) {
	tests := []struct {
		name          string
		reply         func(http.ResponseWriter, wxpay.Params)
		wantCode      string
		wantTransport bool
		wantRetry     bool
	}{
		{"not enough balance", replyWith("result_code", "FAIL", "err_code", "NOTENOUGH", "err_code_des", "基本账户余额不足"), "NOTENOUGH", false, false},
		{"user account abnormal", replyWith("result_code", "FAIL", "err_code", "USER_ACCOUNT_ABNORMAL", "err_code_des", "退款请求失败"), "USER_ACCOUNT_ABNORMAL", false, false},
		{"refund over the order", replyWith("result_code", "FAIL", "err_code", "ERROR", "err_code_des", "申请退款金额超过订单可退金额"), "ERROR", false, false},
		{"system error", replyWith("result_code", "FAIL", "err_code", "SYSTEMERROR", "err_code_des", "系统超时"), "SYSTEMERROR", false, true},
		{"return_code FAIL", replyWith("return_code", "FAIL", "return_msg", "证书已过期"), "", false, false},
		{"HTTP 502", func(w http.ResponseWriter, _ wxpay.Params) { http.Error(w, "bad gateway", http.StatusBadGateway) }, "", true, true},
		{"bad sign", func(w http.ResponseWriter, _ wxpay.Params) {
			p := wxpay.Params{"return_code": "SUCCESS", "appid": testAppID, "mch_id": testMchID, "result_code": "SUCCESS",
				"refund_id": "5000", "sign": "0123456789ABCDEF0123456789ABCDEF"}
			w.Write(wxpay.Encode(p))
		}, "", true, true},
		{"no refund_id", replyWith(append(refundAccepted, "refund_id", "-")...), "", true, true},
		{"another refund's reply", replyWith(append(refundAccepted, "out_refund_no", "R-other")...), "", true, true},
		{"another amount", replyWith(append(refundAccepted, "refund_fee", "1300")...), "", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMTLSWeChat(t, tt.reply)
			_, err := refundClient(t, m, merchantCert(t)).Refund(context.Background(), goodRefund())
			if err == nil {
				t.Fatal("Refund succeeded")
			}
			if got := wxpay.ErrCode(err); got != tt.wantCode {
				t.Errorf("ErrCode = %q, want %q (%v)", got, tt.wantCode, err)
			}
			if got := wxpay.IsTransport(err); got != tt.wantTransport {
				t.Errorf("IsTransport = %v, want %v (%v)", got, tt.wantTransport, err)
			}
			if got := wxpay.IsRetryable(err); got != tt.wantRetry {
				t.Errorf("IsRetryable = %v, want %v (%v)", got, tt.wantRetry, err)
			}
			if wxpay.ExchangeOf(err) == nil {
				t.Error("no exchange recorded")
			}
		})
	}
}

// A retry after an unknown outcome sends the same refund: only the nonce
// and sign differ.
func TestRefundRetrySameRefund(t *testing.T) {
	var calls atomic.Int32
	m := newMTLSWeChat(t, func(w http.ResponseWriter, p wxpay.Params) {
		if calls.Add(1) == 1 {
			replyWith("result_code", "FAIL", "err_code", "SYSTEMERROR", "err_code_des", "系统超时")(w, p)
			return
		}
		replyWith(refundAccepted...)(w, p)
	})
	c := refundClient(t, m, merchantCert(t))
	_, err := c.Refund(context.Background(), goodRefund())
	if !wxpay.IsRetryable(err) {
		t.Fatalf("first Refund: %v, want retryable", err)
	}
	if _, err := c.Refund(context.Background(), goodRefund()); err != nil {
		t.Fatalf("retry: %v", err)
	}
	m.mu.Lock()
	first, second := m.requests[0], m.requests[1]
	m.mu.Unlock()
	for k, v := range first {
		if k != "nonce_str" && k != "sign" && second[k] != v {
			t.Errorf("retry changed %s: %q → %q", k, v, second[k])
		}
	}
}

func TestRefundValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *wxpay.RefundRequest)
	}{
		{"no out_refund_no", func(r *wxpay.RefundRequest) { r.OutRefundNo = "" }},
		{"out_refund_no too long", func(r *wxpay.RefundRequest) { r.OutRefundNo = strings.Repeat("a", 65) }},
		{"out_refund_no with a space", func(r *wxpay.RefundRequest) { r.OutRefundNo = "R 1" }},
		{"bad out_trade_no", func(r *wxpay.RefundRequest) { r.OutTradeNo = "abc" }},
		{"zero refund", func(r *wxpay.RefundRequest) { r.RefundFee = 0 }},
		{"negative refund", func(r *wxpay.RefundRequest) { r.RefundFee = -1 }},
		{"refund over total", func(r *wxpay.RefundRequest) { r.RefundFee = r.TotalFee + 1 }},
		{"zero total", func(r *wxpay.RefundRequest) { r.TotalFee, r.RefundFee = 0, 0 }},
		{"reason over 80 characters", func(r *wxpay.RefundRequest) { r.Reason = strings.Repeat("退", 81) }},
		{"notify_url with a query", func(r *wxpay.RefundRequest) { r.NotifyURL = "https://shop.example.com/n?x=1" }},
		{"relative notify_url", func(r *wxpay.RefundRequest) { r.NotifyURL = "/wxpay/refund-notify" }},
	}
	m := newMTLSWeChat(t, replyWith(refundAccepted...))
	c := refundClient(t, m, merchantCert(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRefund()
			tt.change(r)
			if _, err := c.Refund(context.Background(), r); !errors.Is(err, wxpay.ErrInvalidParam) {
				t.Errorf("err = %v, want ErrInvalidParam", err)
			}
		})
	}
	if n := m.count(); n != 0 {
		t.Errorf("%d invalid refunds were sent", n)
	}
	// The edges that are allowed.
	r := goodRefund()
	r.RefundFee, r.Reason, r.NotifyURL = r.TotalFee, strings.Repeat("退", 80), ""
	if _, err := c.Refund(context.Background(), r); errors.Is(err, wxpay.ErrInvalidParam) {
		t.Errorf("a full refund with an 80-character reason and no notify_url was refused: %v", err)
	}
}

func TestValidOutRefundNo(t *testing.T) {
	for s, want := range map[string]bool{
		"1": true, strings.Repeat("z", 64): true, "a_b-c|d*e@f": true,
		"": false, strings.Repeat("z", 65): false, "a b": false, "退款": false, "a/b": false,
	} {
		if got := wxpay.ValidOutRefundNo(s); got != want {
			t.Errorf("ValidOutRefundNo(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestRefundQuery(t *testing.T) {
	const outRefundNo = "R20240501123456000000Ab3dE5fG01"
	one := func(status string, extra ...string) func(http.ResponseWriter, wxpay.Params) {
		kv := append([]string{"out_trade_no", "20240501123456000000Ab3dE5fG", "transaction_id", "4200001234202405011234567890",
			"total_fee", "2800", "refund_count", "1", "out_refund_no_0", outRefundNo,
			"refund_id_0", "50000408942024050112345678901", "refund_fee_0", "1200", "refund_status_0", status}, extra...)
		return replyWith(kv...)
	}
	success := time.Date(2024, 5, 1, 4, 40, 5, 0, time.UTC) // 12:40:05 in Beijing
	tests := []struct {
		name       string
		reply      func(http.ResponseWriter, wxpay.Params)
		wantStatus string
		wantTime   time.Time
	}{
		{"processing", one("PROCESSING"), wxpay.RefundProcessing, time.Time{}},
		{"success", one("SUCCESS", "refund_success_time_0", "2024-05-01 12:40:05"), wxpay.RefundSuccess, success},
		{"closed", one("REFUNDCLOSE"), wxpay.RefundClosed, time.Time{}},
		{"abnormal", one("CHANGE"), wxpay.RefundAbnormal, time.Time{}},
		{"listed second", replyWith("refund_count", "2", "out_refund_no_0", "R-other", "refund_id_0", "5000", "refund_fee_0", "100",
			"refund_status_0", "PROCESSING", "out_refund_no_1", outRefundNo, "refund_id_1", "50000408942024050112345678901",
			"refund_fee_1", "1200", "refund_status_1", "SUCCESS", "refund_success_time_1", "2024-05-01 12:40:05"),
			wxpay.RefundSuccess, success},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakeWeChat(t, tt.reply)
			r, err := newTestClient(t, srv.URL, wxpay.SignMD5).RefundQuery(context.Background(), outRefundNo)
			if err != nil {
				t.Fatalf("RefundQuery: %v", err)
			}
			if r.Status != tt.wantStatus || !r.SuccessTime.Equal(tt.wantTime) {
				t.Errorf("RefundQuery = %s at %v, want %s at %v", r.Status, r.SuccessTime, tt.wantStatus, tt.wantTime)
			}
			if r.OutRefundNo != outRefundNo || r.RefundID != "50000408942024050112345678901" || r.RefundFee != 1200 {
				t.Errorf("RefundQuery = %+v", r)
			}
			path, req := f.last(t)
			if path != "/pay/refundquery" || req["out_refund_no"] != outRefundNo || !refVerifies(req, testKey) {
				t.Errorf("request %s %v", path, req)
			}
		})
	}
}

func TestRefundQueryErrors(t *testing.T) {
	const outRefundNo = "R20240501123456000000Ab3dE5fG01"
	t.Run("not exist", func(t *testing.T) {
		_, srv := newFakeWeChat(t, replyWith("result_code", "FAIL", "err_code", "REFUNDNOTEXIST", "err_code_des", "not exist"))
		_, err := newTestClient(t, srv.URL, wxpay.SignHMACSHA256).RefundQuery(context.Background(), outRefundNo)
		if !wxpay.IsRefundNotExist(err) || wxpay.IsRetryable(err) {
			t.Errorf("err = %v, want REFUNDNOTEXIST, answered", err)
		}
	})
	untrusted := map[string]func(http.ResponseWriter, wxpay.Params){
		"unknown status": replyWith("refund_count", "1", "out_refund_no_0", outRefundNo, "refund_id_0", "5", "refund_fee_0", "1", "refund_status_0", "DONE"),
		"not listed":     replyWith("refund_count", "1", "out_refund_no_0", "R-other", "refund_id_0", "5", "refund_fee_0", "1", "refund_status_0", "SUCCESS"),
		"no count":       replyWith("out_refund_no_0", outRefundNo, "refund_id_0", "5", "refund_fee_0", "1", "refund_status_0", "SUCCESS"),
		"bad fee":        replyWith("refund_count", "1", "out_refund_no_0", outRefundNo, "refund_id_0", "5", "refund_fee_0", "+1", "refund_status_0", "SUCCESS"),
		"bad time": replyWith("refund_count", "1", "out_refund_no_0", outRefundNo, "refund_id_0", "5", "refund_fee_0", "1",
			"refund_status_0", "SUCCESS", "refund_success_time_0", "20240501124005"),
	}
	for name, reply := range untrusted {
		t.Run(name, func(t *testing.T) {
			_, srv := newFakeWeChat(t, reply)
			_, err := newTestClient(t, srv.URL, wxpay.SignHMACSHA256).RefundQuery(context.Background(), outRefundNo)
			if !wxpay.IsTransport(err) {
				t.Errorf("err = %v, want a transport error (reply not trusted)", err)
			}
		})
	}
	t.Run("invalid out_refund_no", func(t *testing.T) {
		f, srv := newFakeWeChat(t, replyWith())
		_, err := newTestClient(t, srv.URL, wxpay.SignHMACSHA256).RefundQuery(context.Background(), "R 1")
		if !errors.Is(err, wxpay.ErrInvalidParam) || f.count() != 0 {
			t.Errorf("err = %v after %d requests, want ErrInvalidParam and none", err, f.count())
		}
	})
}
