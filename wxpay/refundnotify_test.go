package wxpay_test

import (
	"bytes"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"wxcheckout/wxpay"
)

// refundVector is a refund notification encrypted by Python's cryptography
// (testdata/refundnotify/gen.py), not by this package.
func refundVector(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "refundnotify", "vector.xml"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// withReqInfo returns the vector's outer fields around another req_info.
func withReqInfo(tb testing.TB, reqInfo string) []byte {
	tb.Helper()
	p, err := wxpay.Decode(refundVector(tb))
	if err != nil {
		tb.Fatal(err)
	}
	p["req_info"] = reqInfo
	return wxpay.Encode(p)
}

func vectorReqInfo(tb testing.TB) string {
	tb.Helper()
	p, err := wxpay.Decode(refundVector(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return p["req_info"]
}

func TestParseRefundNotificationVector(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", wxpay.SignHMACSHA256)
	n, err := c.ParseRefundNotification(refundVector(t))
	if err != nil {
		t.Fatalf("ParseRefundNotification: %v", err)
	}
	want := wxpay.RefundNotification{
		OutRefundNo: "R20240501123456000000Ab3dE5fG01", OutTradeNo: "20240501123456000000Ab3dE5fG",
		RefundID: "50000408942024050112345678901", TransactionID: "4200001234202405011234567890",
		TotalFee: 2800, RefundFee: 1200, Status: wxpay.RefundSuccess,
	}
	got := *n
	got.Fields, got.SuccessTime = nil, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseRefundNotification =\n%+v\nwant\n%+v", got, want)
	}
	if wantTime := time.Date(2024, 5, 1, 4, 40, 5, 0, time.UTC); !n.SuccessTime.Equal(wantTime) {
		t.Errorf("SuccessTime = %v, want %v (12:40:05 in Beijing)", n.SuccessTime, wantTime)
	}
	for k, v := range map[string]string{"settlement_refund_fee": "1200", "refund_recv_accout": "支付用户零钱", "appid": testAppID} {
		if n.Fields[k] != v {
			t.Errorf("Fields[%s] = %q, want %q", k, n.Fields[k], v)
		}
	}
	if _, ok := n.Fields["req_info"]; ok {
		t.Error("Fields keeps the ciphertext")
	}
}

func TestParseRefundNotificationRefused(t *testing.T) {
	reqInfo := vectorReqInfo(t)
	ct, _ := base64.StdEncoding.DecodeString(reqInfo)
	flip := func(i int) string {
		b := append([]byte(nil), ct...)
		b[i] ^= 0x01
		return base64.StdEncoding.EncodeToString(b)
	}
	tests := []struct {
		name string
		body []byte
		key  string
		want error
	}{
		{"wrong key", refundVector(t), "192006250b4c09247ec02edce69f6a2e", wxpay.ErrDecrypt},
		{"first block flipped", withReqInfo(t, flip(0)), testKey, wxpay.ErrDecrypt},
		{"middle block flipped", withReqInfo(t, flip(len(ct)/2)), testKey, wxpay.ErrDecrypt},
		{"last block flipped", withReqInfo(t, flip(len(ct)-1)), testKey, wxpay.ErrDecrypt},
		{"a block dropped", withReqInfo(t, base64.StdEncoding.EncodeToString(ct[16:])), testKey, wxpay.ErrDecrypt},
		{"truncated", withReqInfo(t, base64.StdEncoding.EncodeToString(ct[:len(ct)-3])), testKey, wxpay.ErrDecrypt},
		{"not base64", withReqInfo(t, "not*base64"), testKey, wxpay.ErrDecrypt},
		{"no req_info", withReqInfo(t, ""), testKey, wxpay.ErrDecrypt},
		{"outer DOCTYPE", []byte(seedXXE), testKey, wxpay.ErrMalformedXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := wxpay.ParseRefundNotification(tt.body, tt.key)
			if !errors.Is(err, tt.want) || n != nil {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("return_code FAIL", func(t *testing.T) {
		body := wxpay.Encode(wxpay.Params{"return_code": "FAIL", "return_msg": "x"})
		var we *wxpay.Error
		if _, err := wxpay.ParseRefundNotification(body, testKey); !errors.As(err, &we) {
			t.Errorf("err = %v, want *wxpay.Error", err)
		}
	})
	t.Run("another merchant", func(t *testing.T) {
		p, _ := wxpay.Decode(refundVector(t))
		p["mch_id"] = "10000101"
		c := newTestClient(t, "http://127.0.0.1:1", wxpay.SignHMACSHA256)
		if _, err := c.ParseRefundNotification(wxpay.Encode(p)); !errors.Is(err, wxpay.ErrMerchantMismatch) {
			t.Errorf("err = %v, want ErrMerchantMismatch", err)
		}
	})
}

// refundInner is a decrypted req_info's fields, for sealing variants.
func refundInner() wxpay.Params {
	return wxpay.Params{
		"out_refund_no": "R20240501123456000000Ab3dE5fG01", "out_trade_no": "20240501123456000000Ab3dE5fG",
		"refund_id": "50000408942024050112345678901", "transaction_id": "4200001234202405011234567890",
		"total_fee": "2800", "refund_fee": "1200", "settlement_refund_fee": "1200",
		"refund_status": "SUCCESS", "success_time": "2024-05-01 12:40:05",
	}
}

func sealed(tb testing.TB, inner wxpay.Params) []byte {
	tb.Helper()
	return withReqInfo(tb, wxpay.SealRefundInfo(inner, testKey))
}

func TestParseRefundNotificationContent(t *testing.T) {
	tests := []struct {
		name       string
		change     map[string]string // "-" removes a field
		wantStatus string            // "" means refused
	}{
		{"success", nil, wxpay.RefundSuccess},
		{"abnormal", map[string]string{"refund_status": "CHANGE", "success_time": "-"}, wxpay.RefundAbnormal},
		{"closed", map[string]string{"refund_status": "REFUNDCLOSE", "success_time": "-"}, wxpay.RefundClosed},
		{"processing is no end", map[string]string{"refund_status": "PROCESSING"}, ""},
		{"unknown status", map[string]string{"refund_status": "DONE"}, ""},
		{"refund over total", map[string]string{"refund_fee": "2801"}, ""},
		{"zero refund", map[string]string{"refund_fee": "0"}, ""},
		{"signed amount", map[string]string{"refund_fee": "+1200"}, ""},
		{"settlement over refund", map[string]string{"settlement_refund_fee": "1201"}, ""},
		{"no refund_id", map[string]string{"refund_id": "-"}, ""},
		{"bad out_refund_no", map[string]string{"out_refund_no": "R 1"}, ""},
		{"bad success_time", map[string]string{"success_time": "20240501124005"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inner := refundInner()
			for k, v := range tt.change {
				if v == "-" {
					delete(inner, k)
				} else {
					inner[k] = v
				}
			}
			n, err := wxpay.ParseRefundNotification(sealed(t, inner), testKey)
			if tt.wantStatus == "" {
				if !errors.Is(err, wxpay.ErrInvalidParam) {
					t.Errorf("err = %v, want ErrInvalidParam", err)
				}
				return
			}
			if err != nil || n.Status != tt.wantStatus {
				t.Fatalf("ParseRefundNotification = %v, %v; want %s", n, err, tt.wantStatus)
			}
		})
	}
}

// The decrypted document gets §2's safety rules: a flat <root> only.
func TestRefundNotificationInnerXML(t *testing.T) {
	for name, inner := range map[string]string{
		"DOCTYPE":    `<!DOCTYPE root [<!ENTITY x SYSTEM "file:///etc/passwd">]><root><out_refund_no>&x;</out_refund_no></root>`,
		"xml root":   `<xml><out_refund_no>R1</out_refund_no></xml>`,
		"nested":     `<root><a><b>1</b></a></root>`,
		"repeated":   `<root><refund_fee>1</refund_fee><refund_fee>2</refund_fee></root>`,
		"attributes": `<root id="1"><refund_fee>1</refund_fee></root>`,
	} {
		t.Run(name, func(t *testing.T) {
			body := withReqInfo(t, sealRaw(t, inner))
			_, err := wxpay.ParseRefundNotification(body, testKey)
			if !errors.Is(err, wxpay.ErrDecrypt) || !errors.Is(err, wxpay.ErrMalformedXML) {
				t.Errorf("err = %v, want ErrDecrypt and ErrMalformedXML", err)
			}
		})
	}
}

// sealRaw encrypts any plaintext as WeChat does req_info (AES-256-ECB,
// PKCS#7, key = hex MD5 of the API key), for documents SealRefundInfo
// would never write. The vector test shows the rule is WeChat's.
func sealRaw(tb testing.TB, plain string) string {
	tb.Helper()
	sum := md5.Sum([]byte(testKey))
	block, err := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	if err != nil {
		tb.Fatal(err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	b := append([]byte(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	for i := 0; i < len(b); i += aes.BlockSize {
		block.Encrypt(b[i:i+aes.BlockSize], b[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestSealRefundInfoRoundTrip(t *testing.T) {
	inner := refundInner()
	inner["refund_recv_accout"] = "支付用户零钱 <&>]]>"
	n, err := wxpay.ParseRefundNotification(sealed(t, inner), testKey)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range inner {
		if n.Fields[k] != v {
			t.Errorf("Fields[%s] = %q, want %q", k, n.Fields[k], v)
		}
	}
	if strings.Contains(wxpay.SealRefundInfo(inner, testKey), "R20240501") {
		t.Error("req_info is not encrypted")
	}
}
