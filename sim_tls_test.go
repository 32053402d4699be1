package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// TestRunSimTLS starts `wxcheckout sim --tls DIR` as main does: it serves
// HTTPS with a certificate from ca.pem, writes the merchant's certificate
// files, and takes a v2 refund only with that certificate.
func TestRunSimTLS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	base, out, stop := startSim(t, []string{"--tls", dir, "--refund-delay", "0"}, nil)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("base_url %s, want https", base)
	}
	ca, err := os.ReadFile(filepath.Join(dir, wxpaysim.FileTLSCA))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	p12, err := os.ReadFile(filepath.Join(dir, wxpaysim.FileClientP12))
	if err != nil {
		t.Fatal(err)
	}
	key, cert, err := pkcs12.Decode(p12, wxpaysim.DemoMchID)
	if err != nil {
		t.Fatal(err)
	}
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots,
		Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key}}}}}
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}

	ctx := context.Background()
	c, err := wxpay.NewClient(wxpay.Config{BaseURL: base, AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID,
		APIKey: wxpaysim.DemoAPIKey, HTTPClient: noCert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UnifiedOrder(ctx, &wxpay.UnifiedOrderRequest{Body: "demo", OutTradeNo: "SIMTLS-001", TotalFee: 100,
		SpbillCreateIP: "127.0.0.1", NotifyURL: "http://127.0.0.1:1/notify", ProductID: "p1"}); err != nil {
		t.Fatalf("unifiedorder over HTTPS without a client certificate: %v", err)
	}
	if resp, err := noCert.Post(base+"/control/pay", "application/json", strings.NewReader(`{"out_trade_no":"SIMTLS-001"}`)); err != nil || resp.StatusCode != 200 {
		t.Fatalf("pay: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	refund := func(client *http.Client, no string) (int, wxpay.Params) {
		p := wxpay.Params{"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID, "nonce_str": wxpay.NewNonce(),
			"out_trade_no": "SIMTLS-001", "out_refund_no": no, "total_fee": "100", "refund_fee": "30"}
		p["sign"], _ = wxpay.Sign(p, wxpaysim.DemoAPIKey, wxpay.SignMD5)
		resp, err := client.Post(base+"/secapi/pay/refund", "text/xml", bytes.NewReader(wxpay.Encode(p)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got, _ := wxpay.Decode(b)
		return resp.StatusCode, got
	}
	if status, _ := refund(noCert, "SIMTLS-R0"); status != http.StatusBadRequest {
		t.Errorf("refund without the client certificate: HTTP %d, want 400", status)
	}
	if status, got := refund(withCert, "SIMTLS-R1"); status != 200 || got["result_code"] != "SUCCESS" {
		t.Errorf("refund with the client certificate: %d %v", status, got)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		q, err := c.OrderQuery(ctx, "SIMTLS-001")
		if err == nil && q.TradeState == wxpay.TradeRefund {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refund did not end: %v %v", q, err)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("run returned %v", err)
	}
	logs := out.String()
	for _, want := range []string{"SSL_CERT_FILE=" + filepath.Join(dir, wxpaysim.FileTLSCA), "WXPAY_CERT_P12_FILE=", "op=refund"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, wxpaysim.DemoAPIKey) || strings.Contains(logs, "PRIVATE KEY") {
		t.Error("a secret appears in the log")
	}
}
