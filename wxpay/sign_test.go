package wxpay_test

import (
	"errors"
	"strings"
	"testing"

	"wxcheckout/wxpay"
)

func officialFields() wxpay.Params {
	return wxpay.Params{
		"appid":       "wxd930ea5d5a258f4f",
		"mch_id":      "10000100",
		"device_info": "1000",
		"body":        "test",
		"nonce_str":   "ibuaiVcKdpRxkhJA",
	}
}

func TestSignOfficialVector(t *testing.T) {
	tests := []struct {
		t    wxpay.SignType
		want string
	}{
		{wxpay.SignMD5, "9A0A8659F005D6984697E2CA0A9CF3B7"},
		{wxpay.SignHMACSHA256, "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"},
	}
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			got, err := wxpay.Sign(officialFields(), testKey, tt.t)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
			p := officialFields()
			p["sign"] = tt.want
			if err := wxpay.Verify(p, testKey); err != nil {
				t.Errorf("Verify(official vector) = %v, want nil", err)
			}
			p["sign"] = strings.ToLower(tt.want)
			if err := wxpay.Verify(p, testKey); err != nil {
				t.Errorf("Verify(lower-case sign) = %v, want nil", err)
			}
		})
	}
}

// TestSignHandComputed checks the signing rules against strings written out
// by hand: Chinese values raw (no escaping), empty values skipped, sign
// excluded, sign_type signed as an ordinary field, byte-order sort.
func TestSignHandComputed(t *testing.T) {
	tests := []struct {
		name   string
		p      wxpay.Params
		t      wxpay.SignType
		toSign string
	}{
		{
			name:   "chinese",
			p:      wxpay.Params{"body": "腾讯充值中心-QQ会员充值", "appid": "wx1", "attach": "深圳分店&a=b"},
			t:      wxpay.SignMD5,
			toSign: "appid=wx1&attach=深圳分店&a=b&body=腾讯充值中心-QQ会员充值&key=" + testKey,
		},
		{
			name:   "chinese hmac",
			p:      wxpay.Params{"body": "测试商品", "total_fee": "1"},
			t:      wxpay.SignHMACSHA256,
			toSign: "body=测试商品&total_fee=1&key=" + testKey,
		},
		{
			name:   "empty skipped, sign excluded",
			p:      wxpay.Params{"a": "1", "b": "", "sign": "XXXX", "c": "3"},
			t:      wxpay.SignMD5,
			toSign: "a=1&c=3&key=" + testKey,
		},
		{
			name:   "sign_type signed",
			p:      wxpay.Params{"appid": "wx1", "sign_type": "HMAC-SHA256"},
			t:      wxpay.SignHMACSHA256,
			toSign: "appid=wx1&sign_type=HMAC-SHA256&key=" + testKey,
		},
		{
			name:   "byte order: upper case before lower case, _ between",
			p:      wxpay.Params{"b": "1", "B": "2", "a_b": "3", "aB": "4"},
			t:      wxpay.SignMD5,
			toSign: "B=2&aB=4&a_b=3&b=1&key=" + testKey,
		},
		{
			name:   "xml-looking values raw",
			p:      wxpay.Params{"detail": `<goods>"a"&'b'</goods>`},
			t:      wxpay.SignMD5,
			toSign: `detail=<goods>"a"&'b'</goods>&key=` + testKey,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := md5Upper(tt.toSign)
			if tt.t == wxpay.SignHMACSHA256 {
				want = hmacUpper(testKey, tt.toSign)
			}
			got, err := wxpay.Sign(tt.p, testKey, tt.t)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if got != want {
				t.Errorf("Sign = %s, want %s (over %q)", got, want, tt.toSign)
			}
		})
	}
}

func TestSignUnknownType(t *testing.T) {
	if _, err := wxpay.Sign(officialFields(), testKey, "SHA1"); err == nil {
		t.Error("Sign with SHA1 = nil error, want an error")
	}
}

func TestVerify(t *testing.T) {
	md5Sign := refSign(officialFields(), testKey, wxpay.SignMD5)
	hmacSign := refSign(officialFields(), testKey, wxpay.SignHMACSHA256)
	notif := signed(t, notificationFields(), testKey, wxpay.SignHMACSHA256)
	with := func(p wxpay.Params, kv ...string) wxpay.Params {
		q := clone(p)
		for i := 0; i < len(kv); i += 2 {
			q[kv[i]] = kv[i+1]
		}
		return q
	}
	without := func(p wxpay.Params, k string) wxpay.Params {
		q := clone(p)
		delete(q, k)
		return q
	}
	mdTyped := signed(t, with(officialFields(), "sign_type", "MD5"), testKey, wxpay.SignMD5)
	hmTyped := signed(t, with(officialFields(), "sign_type", "HMAC-SHA256"), testKey, wxpay.SignHMACSHA256)
	tests := []struct {
		name    string
		p       wxpay.Params
		wantErr error // nil: verifies
	}{
		{"md5 by length", with(officialFields(), "sign", md5Sign), nil},
		{"hmac by length", with(officialFields(), "sign", hmacSign), nil},
		{"md5 by sign_type", mdTyped, nil},
		{"hmac by sign_type", hmTyped, nil},
		{"lower-case sign", with(officialFields(), "sign", strings.ToLower(hmacSign)), nil},
		{"extra fields kept", notif, nil},
		{"empty field added", with(notif, "new_field", ""), nil},
		{"missing sign", officialFields(), wxpay.ErrSignMissing},
		{"empty sign", with(officialFields(), "sign", ""), wxpay.ErrSignMissing},
		{"sign of other length", with(officialFields(), "sign", md5Sign[:31]), wxpay.ErrBadSign},
		{"sign of length 40", with(officialFields(), "sign", hmacSign[:40]), wxpay.ErrBadSign},
		{"md5 sign with sign_type HMAC", with(officialFields(), "sign", md5Sign, "sign_type", "HMAC-SHA256"), wxpay.ErrBadSign},
		{"sign_type removed after signing", without(mdTyped, "sign_type"), wxpay.ErrBadSign},
		{"sign_type changed", with(mdTyped, "sign_type", "HMAC-SHA256"), wxpay.ErrBadSign},
		{"unknown sign_type", with(officialFields(), "sign", md5Sign, "sign_type", "SHA1"), wxpay.ErrBadSign},
		{"tampered coupon_fee_0", with(notif, "coupon_fee_0", "2000"), wxpay.ErrBadSign},
		{"added promotion_detail", with(notif, "promotion_detail", `{"promotion_id":"1"}`), wxpay.ErrBadSign},
		{"removed coupon_id_0", without(notif, "coupon_id_0"), wxpay.ErrBadSign},
		{"tampered total_fee", with(notif, "total_fee", "1"), wxpay.ErrBadSign},
		{"wrong key", with(officialFields(), "sign", refSign(officialFields(), "x"+testKey[1:], wxpay.SignMD5)), wxpay.ErrBadSign},
		{"non-hex sign", with(officialFields(), "sign", strings.Repeat("Z", 32)), wxpay.ErrBadSign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wxpay.Verify(tt.p, testKey)
			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestParseSignType(t *testing.T) {
	for _, s := range []string{"MD5", "HMAC-SHA256"} {
		if got, err := wxpay.ParseSignType(s); err != nil || string(got) != s {
			t.Errorf("ParseSignType(%q) = %q, %v; want %q, nil", s, got, err, s)
		}
	}
	for _, s := range []string{"", "md5", "hmac-sha256", "SHA256", "HMAC-SHA1"} {
		if _, err := wxpay.ParseSignType(s); err == nil {
			t.Errorf("ParseSignType(%q) = nil error, want an error", s)
		}
	}
}

func TestSignConcurrent(t *testing.T) {
	// Sign keeps scratch buffers in a pool; concurrent signers must not mix them.
	want := "9A0A8659F005D6984697E2CA0A9CF3B7"
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			for range 200 {
				got, err := wxpay.Sign(officialFields(), testKey, wxpay.SignMD5)
				if err == nil && got != want {
					err = errors.New("concurrent Sign = " + got + ", want " + want)
				}
				if err != nil {
					errc <- err
					return
				}
				if err := wxpay.Verify(signed(t, notificationFields(), testKey, wxpay.SignHMACSHA256), testKey); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}
