package testrig

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

var (
	v3KeysOnce sync.Once
	v3Keys     *wxpaysim.V3Keys
	v3KeysErr  error
)

// SharedV3Keys are v3 keys for the simulator and the shop, made once per
// test binary: three RSA keys take a while, and tests need not differ in
// them.
func SharedV3Keys(tb testing.TB) *wxpaysim.V3Keys {
	tb.Helper()
	v3KeysOnce.Do(func() { v3Keys, v3KeysErr = wxpaysim.GenerateV3Keys(rand.Reader) })
	if v3KeysErr != nil {
		tb.Fatal(v3KeysErr)
	}
	return v3Keys
}

// newV3Adapter is the shop's v3 client of the simulator at base, holding
// the merchant key and verifying with the public key and the platform
// certificate both.
func newV3Adapter(tb testing.TB, k *wxpaysim.V3Keys, base, notifyURL string, now func() time.Time,
	observe func(string, string, time.Duration)) *wxpayv3.Adapter {
	tb.Helper()
	ver := wxpayv3.NewVerifier()
	ver.Add(k.PublicKeyID, k.PublicKey())
	ver.Add(k.PlatformSerial(), k.PlatformCert.PublicKey.(*rsa.PublicKey))
	c, err := wxpayv3.NewClient(wxpayv3.Config{BaseURL: base, AppID: wxpaysim.DemoAppID, MchID: wxpaysim.DemoMchID,
		Signer:   wxpayv3.Signer{MchID: wxpaysim.DemoMchID, Serial: k.MchSerial(), Key: k.MchKey},
		Verifier: ver, APIv3Key: []byte(k.APIv3Key), NotifyURL: notifyURL, Now: now, Observe: observe})
	if err != nil {
		tb.Fatal(err)
	}
	return wxpayv3.NewAdapter(c, "")
}
