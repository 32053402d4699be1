package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

// `wxcheckout sim --keys DIR` writes the §7 files and says how to configure
// a v3 program with them; a program configured from the files alone places
// an order and trusts the reply.
func TestRunSimV3Keys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	base, out, stop := startSim(t, []string{"--keys", dir, "--v3-sign", "cert"}, nil)
	defer stop()
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(out.String(), `msg="wxpaysim v3"`); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) { // a generous bound for RSA key generation under -race
			t.Fatalf("no v3 line in:\n%s", out)
		}
	}

	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key, err := wxpayv3.ParsePrivateKey(read(wxpaysim.FileMchKey))
	if err != nil {
		t.Fatal(err)
	}
	certs, err := wxpayv3.ParseCertificates(read(wxpaysim.FileMchCert))
	if err != nil {
		t.Fatal(err)
	}
	platform, err := wxpayv3.ParseCertificates(read(wxpaysim.FilePlatformCert))
	if err != nil {
		t.Fatal(err)
	}
	serial := wxpayv3.SerialHex(certs[0].SerialNumber)
	logs := out.String()
	for _, want := range []string{"WXPAY_MCH_CERT_SERIAL=" + serial, "WXPAY_PUBLIC_KEY_ID=" + string(read(wxpaysim.FilePubKeyID)),
		filepath.Join(dir, wxpaysim.FileMchKey), "v3_sign=cert"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"PRIVATE KEY", string(read(wxpaysim.FileAPIv3Key))} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log shows %q", secret)
		}
	}

	now := time.Now()
	body, _ := json.Marshal(map[string]any{
		"appid": wxpaysim.DemoAppID, "mchid": wxpaysim.DemoMchID, "description": "v3 via --keys",
		"out_trade_no": "SIMV3-0001", "notify_url": "http://127.0.0.1:1/wxpay/v3/notify",
		"time_expire": now.Add(10 * time.Minute).In(wxpay.Beijing()).Format(time.RFC3339),
		"amount":      map[string]any{"total": 1},
	})
	signer := wxpayv3.Signer{MchID: wxpaysim.DemoMchID, Serial: serial, Key: key}
	auth, err := signer.Authorization(http.MethodPost, "/v3/pay/transactions/native", body, now, wxpay.NewNonce())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/v3/pay/transactions/native", bytes.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(reply, []byte("weixin://wxpay/bizpayurl")) {
		t.Fatalf("native = %d %s", resp.StatusCode, reply)
	}
	v := wxpayv3.NewVerifier()
	v.Add(wxpayv3.SerialHex(platform[0].SerialNumber), platform[0].PublicKey.(*rsa.PublicKey))
	if err := v.Verify(resp.Header, reply, time.Now()); err != nil {
		t.Errorf("reply does not verify with platform_cert.pem: %v", err)
	}
}

func TestRunSimBadV3Flags(t *testing.T) {
	getenv := func(string) string { return "" }
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"sim", "--v3-sign", "rsa"}, {"sim", "--addr", "127.0.0.1:0", "--keys", notDir}} {
		if err := run(context.Background(), args, getenv, io.Discard); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}
