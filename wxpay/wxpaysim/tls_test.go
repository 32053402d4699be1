package wxpaysim_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// tlsRig is a simulator over HTTPS that requires the client certificate
// on /secapi/, as `wxcheckout sim --tls DIR` runs it.
func tlsRig(tb testing.TB) (*rig, string) {
	tb.Helper()
	dir := tb.TempDir()
	files, err := wxpaysim.LoadOrCreateTLS(dir, wxpaysim.DemoMchID)
	if err != nil {
		tb.Fatal(err)
	}
	clock := wxpaysim.NewManualClock(t0)
	sim, err := wxpaysim.Open(context.Background(), wxpaysim.Options{Clock: clock, ClientCertRequired: true})
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := files.ServerConfig()
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(sim)
	ts.TLS = cfg
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of a test
	ts.StartTLS()
	r := &rig{sim: sim, ts: ts, clock: clock}
	tb.Cleanup(func() { sim.Close(); ts.Close() })
	return r, dir
}

// httpsClient trusts ca.pem only (as SSL_CERT_FILE=ca.pem does) and
// presents certs.
func httpsClient(tb testing.TB, dir string, certs ...tls.Certificate) *http.Client {
	tb.Helper()
	pem, err := os.ReadFile(filepath.Join(dir, wxpaysim.FileTLSCA))
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		tb.Fatal("ca.pem holds no certificate")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
}

// p12Cert reads apiclient_cert.p12 with the mch_id as password.
func p12Cert(tb testing.TB, dir string) tls.Certificate {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, wxpaysim.FileClientP12))
	if err != nil {
		tb.Fatal(err)
	}
	key, cert, err := pkcs12.Decode(b, wxpaysim.DemoMchID)
	if err != nil {
		tb.Fatalf("apiclient_cert.p12: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
}

// postWith posts p signed to path with client and returns the status and body.
func postWith(tb testing.TB, client *http.Client, url string, p wxpay.Params) (int, []byte, error) {
	tb.Helper()
	p["sign"], _ = wxpay.Sign(p, wxpaysim.DemoAPIKey, wxpay.SignMD5)
	resp, err := client.Post(url, "text/xml", bytes.NewReader(wxpay.Encode(p)))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, nil
}

// The v2 refund over mutual TLS: with the merchant certificate from the
// .p12 or the PEM files it succeeds; without one it is refused, while the
// other paths need none; a certificate from another CA fails the handshake.
func TestRefundOverMutualTLS(t *testing.T) {
	r, dir := tlsRig(t)
	code := place(t, r.client(t), orderReq("TLS-00001", "http://127.0.0.1:1/notify"))
	if err := r.sim.Pay(code); err != nil {
		t.Fatal(err)
	}
	url := r.ts.URL + "/secapi/pay/refund"

	status, body, err := postWith(t, httpsClient(t, dir, p12Cert(t, dir)), url, refundFields("TLS-00001", "R-TLS1", 100, ""))
	if err != nil || status != http.StatusOK {
		t.Fatalf("refund with the .p12 certificate: %d %s %v", status, body, err)
	}
	if p, err := wxpay.Decode(body); err != nil || p["result_code"] != "SUCCESS" || p["refund_id"] == "" {
		t.Errorf("refund with the .p12 certificate = %v %v", p, err)
	}
	pemCert, err := tls.LoadX509KeyPair(filepath.Join(dir, wxpaysim.FileClientCert), filepath.Join(dir, wxpaysim.FileClientKey))
	if err != nil {
		t.Fatal(err)
	}
	if status, body, err := postWith(t, httpsClient(t, dir, pemCert), url, refundFields("TLS-00001", "R-TLS2", 100, "")); err != nil ||
		status != http.StatusOK || !strings.Contains(string(body), "<result_code><![CDATA[SUCCESS]]>") {
		t.Errorf("refund with the PEM certificate: %d %s %v", status, body, err)
	}

	status, body, err = postWith(t, httpsClient(t, dir), url, refundFields("TLS-00001", "R-TLS3", 100, ""))
	if err != nil || status != http.StatusBadRequest || !strings.Contains(string(body), "No required SSL certificate was sent") {
		t.Errorf("refund without a certificate: %d %s %v, want 400", status, body, err)
	}
	if _, ok := r.sim.Refund("R-TLS3"); ok {
		t.Error("a refund without a certificate was made")
	}
	q := wxpay.Params{"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID, "nonce_str": wxpay.NewNonce(), "out_trade_no": "TLS-00001"}
	if status, body, err := postWith(t, httpsClient(t, dir), r.ts.URL+"/pay/orderquery", q); err != nil || status != http.StatusOK ||
		!strings.Contains(string(body), "REFUND") && !strings.Contains(string(body), "SUCCESS") {
		t.Errorf("orderquery without a certificate: %d %s %v", status, body, err)
	}

	otherDir := t.TempDir()
	other, err := wxpaysim.LoadOrCreateTLS(otherDir, wxpaysim.DemoMchID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := postWith(t, httpsClient(t, dir, other.Client), url, refundFields("TLS-00001", "R-TLS4", 100, "")); err == nil {
		t.Error("a certificate from another CA was accepted")
	}
}

// LoadOrCreateTLS writes the files once, private ones 0600, and reads the
// same ones again rather than replacing them; the .p12 is in the legacy
// format WeChat issues (RC2/3DES), which OpenSSL 3 reads with -legacy.
func TestTLSFiles(t *testing.T) {
	dir := t.TempDir()
	first, err := wxpaysim.LoadOrCreateTLS(dir, wxpaysim.DemoMchID)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for name, mode := range map[string]os.FileMode{
		wxpaysim.FileTLSCA: 0o644, wxpaysim.FileTLSCAKey: 0o600, wxpaysim.FileClientCert: 0o644,
		wxpaysim.FileClientKey: 0o600, wxpaysim.FileClientP12: 0o600,
	} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
		before[name], _ = os.ReadFile(filepath.Join(dir, name))
	}
	if cn := first.Client.Leaf.Subject.CommonName; cn != wxpaysim.DemoMchID {
		t.Errorf("client certificate CN = %q, want the mch_id", cn)
	}
	os.Remove(filepath.Join(dir, wxpaysim.FileClientP12))
	second, err := wxpaysim.LoadOrCreateTLS(dir, wxpaysim.DemoMchID)
	if err != nil {
		t.Fatal(err)
	}
	if !second.CA.Equal(first.CA) || !second.Client.Leaf.Equal(first.Client.Leaf) {
		t.Error("reloading made new certificates")
	}
	for name, b := range before {
		if now, _ := os.ReadFile(filepath.Join(dir, name)); name != wxpaysim.FileClientP12 && !bytes.Equal(now, b) {
			t.Errorf("%s was replaced", name)
		}
	}
	if c := p12Cert(t, dir); !c.Leaf.Equal(first.Client.Leaf) {
		t.Error("the remade .p12 holds another certificate")
	}
	if _, err := wxpaysim.LoadOrCreateTLS(dir, "1900000999"); err == nil || !strings.Contains(err.Error(), "mch_id") {
		t.Errorf("files of another mch_id: %v", err)
	}
	os.Remove(filepath.Join(dir, wxpaysim.FileTLSCAKey))
	if _, err := wxpaysim.LoadOrCreateTLS(dir, wxpaysim.DemoMchID); err == nil {
		t.Error("ca.pem without its key was accepted")
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl to read the .p12 independently")
	}
	out, err := exec.Command(openssl, "pkcs12", "-in", filepath.Join(dir, wxpaysim.FileClientP12), "-info", "-noout",
		"-legacy", "-passin", "pass:"+wxpaysim.DemoMchID).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RC2") || !strings.Contains(string(out), "TripleDES") {
		t.Errorf("openssl pkcs12 -legacy: %v\n%s", err, out)
	}
}
