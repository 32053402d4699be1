package wxpayv3_test

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	wxpayv3 "wxcheckout/wxpay/v3"
)

// The merchant of the tests and WeChat's keys, made with openssl (see
// testdata): a merchant key and certificate, the WeChat Pay public key
// pair, a platform certificate and its key.
const (
	testAppID    = "wxd930ea5d5a258f4f"
	testMchID    = "1900000109"
	testAPIv3Key = "Wx3k9Qf2Lm8Zr4Tb6Yc1Nd5Hs7Jv0Pa2" // 32 bytes
	testPubKeyID = "PUB_KEY_ID_0119000001092024112300000000"
	// As openssl x509 -serial prints them.
	testMchSerial      = "5A1B2C3D4E5F60718293A4B5C6D7E8F9"
	testPlatformSerial = "3775B6A45ACD588826FE7A05E8D6ADD8"
	testNotifyURL      = "https://shop.example.com/wxpay/v3/notify"
)

type testKeys struct {
	merchant    *rsa.PrivateKey
	merchantPub *rsa.PublicKey
	pubKey      *rsa.PrivateKey // WeChat Pay public key's private half
	pubKeyPub   *rsa.PublicKey  // as pub_key.pem gives it
	platform    *rsa.PrivateKey
	platformPub *rsa.PublicKey // from platform_cert.pem
}

var (
	keysOnce sync.Once
	keys     *testKeys
	keysErr  error
)

// loadKeys reads testdata once per test binary.
func loadKeys(tb testing.TB) *testKeys {
	tb.Helper()
	keysOnce.Do(func() { keys, keysErr = readKeys() })
	if keysErr != nil {
		tb.Fatal(keysErr)
	}
	return keys
}

func readKeys() (*testKeys, error) {
	var k testKeys
	var err error
	read := func(name string) []byte {
		b, rerr := os.ReadFile("testdata/" + name)
		if rerr != nil && err == nil {
			err = rerr
		}
		return b
	}
	merchantPEM, certPEM, pubPrivPEM, pubPEM, platPEM, platCertPEM := read("merchant_key.pem"), read("merchant_cert.pem"),
		read("wechatpay_pub_key_private.pem"), read("wechatpay_pub_key.pem"), read("platform_key.pem"), read("platform_cert.pem")
	if err != nil {
		return nil, err
	}
	if k.merchant, err = wxpayv3.ParsePrivateKey(merchantPEM); err != nil {
		return nil, err
	}
	certs, err := wxpayv3.ParseCertificates(certPEM)
	if err != nil {
		return nil, err
	}
	if s := wxpayv3.SerialHex(certs[0].SerialNumber); s != testMchSerial {
		return nil, fmt.Errorf("merchant serial %s, want %s", s, testMchSerial)
	}
	k.merchantPub = certs[0].PublicKey.(*rsa.PublicKey)
	if k.pubKey, err = wxpayv3.ParsePrivateKey(pubPrivPEM); err != nil {
		return nil, err
	}
	if k.pubKeyPub, err = wxpayv3.ParsePublicKey(pubPEM); err != nil {
		return nil, err
	}
	if k.platform, err = wxpayv3.ParsePrivateKey(platPEM); err != nil {
		return nil, err
	}
	pc, err := wxpayv3.ParseCertificates(platCertPEM)
	if err != nil {
		return nil, err
	}
	if s := wxpayv3.SerialHex(pc[0].SerialNumber); s != testPlatformSerial {
		return nil, fmt.Errorf("platform serial %s, want %s", s, testPlatformSerial)
	}
	k.platformPub = pc[0].PublicKey.(*rsa.PublicKey)
	return &k, nil
}

// verifier trusts what is named: "pubkey", "cert", or both.
func (k *testKeys) verifier(modes ...string) *wxpayv3.Verifier {
	v := wxpayv3.NewVerifier()
	for _, m := range modes {
		switch m {
		case "pubkey":
			v.Add(testPubKeyID, k.pubKeyPub)
		case "cert":
			v.Add(testPlatformSerial, k.platformPub)
		}
	}
	return v
}

// config is a client configuration for the merchant against baseURL,
// trusting both the public key and the platform certificate.
func (k *testKeys) config(baseURL string) wxpayv3.Config {
	return wxpayv3.Config{
		BaseURL: baseURL, AppID: testAppID, MchID: testMchID,
		Signer:   wxpayv3.Signer{MchID: testMchID, Serial: testMchSerial, Key: k.merchant},
		Verifier: k.verifier("pubkey", "cert"), APIv3Key: []byte(testAPIv3Key), NotifyURL: testNotifyURL,
	}
}

func newClient(tb testing.TB, cfg wxpayv3.Config) *wxpayv3.Client {
	tb.Helper()
	c, err := wxpayv3.NewClient(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// paidTransaction is a paid transaction as WeChat writes it, in its
// resource or its query reply.
func paidTransaction(no string) map[string]any {
	return map[string]any{
		"appid": testAppID, "mchid": testMchID, "out_trade_no": no, "transaction_id": "4200002345202411230000000001",
		"trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
		"attach": "", "success_time": "2024-11-23T15:04:05+08:00",
		"payer":            map[string]any{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
		"amount":           map[string]any{"total": 8800, "payer_total": 8800, "currency": "CNY", "payer_currency": "CNY"},
		"promotion_detail": []any{},
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

// signedHeaders signs body as WeChat does, with the key of mode ("pubkey"
// or "cert") at time at.
func (k *testKeys) signedHeaders(tb testing.TB, mode string, body []byte, at time.Time) http.Header {
	tb.Helper()
	key, serial := k.pubKey, testPubKeyID
	if mode == "cert" {
		key, serial = k.platform, testPlatformSerial
	}
	h := http.Header{}
	if err := wxpayv3.SignHeaders(h, key, serial, body, at, "N"+strconv.FormatInt(at.UnixNano(), 36)); err != nil {
		tb.Fatal(err)
	}
	return h
}
