package wxpay_test

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"testing"

	"wxcheckout/wxpay"
)

// The official vector's merchant (SPEC §2), used throughout the tests.
const (
	testAppID = "wxd930ea5d5a258f4f"
	testMchID = "10000100"
	testKey   = "192006250b4c09247ec02edce69f6a2d"
)

// refCanonical is an independent implementation of the string to sign, so
// tests do not check the package against itself.
func refCanonical(p map[string]string, key string) string {
	names := make([]string, 0, len(p))
	for k, v := range p {
		if k != "sign" && v != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k + "=" + p[k] + "&")
	}
	b.WriteString("key=" + key)
	return b.String()
}

func md5Upper(s string) string {
	sum := md5.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func hmacUpper(key, s string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(s))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

// refSign signs p with the reference implementation.
func refSign(p map[string]string, key string, t wxpay.SignType) string {
	s := refCanonical(p, key)
	if t == wxpay.SignHMACSHA256 {
		return hmacUpper(key, s)
	}
	return md5Upper(s)
}

// refVerifies reports whether p's sign matches by the reference rules: the
// algorithm from sign_type, else from the sign's length; case-insensitive.
func refVerifies(p map[string]string, key string) bool {
	got := strings.ToUpper(p["sign"])
	var t wxpay.SignType
	switch st := p["sign_type"]; {
	case st == "MD5" || st == "HMAC-SHA256":
		t = wxpay.SignType(st)
	case st != "":
		return false
	case len(got) == 64:
		t = wxpay.SignHMACSHA256
	case len(got) == 32:
		t = wxpay.SignMD5
	default:
		return false
	}
	return got != "" && got == refSign(p, key, t)
}

func clone(p map[string]string) wxpay.Params {
	q := make(wxpay.Params, len(p))
	for k, v := range p {
		q[k] = v
	}
	return q
}

// signed returns a copy of p with a sign made by the reference implementation.
func signed(tb testing.TB, p map[string]string, key string, t wxpay.SignType) wxpay.Params {
	tb.Helper()
	q := clone(p)
	delete(q, "sign")
	q["sign"] = refSign(q, key, t)
	return q
}

// notificationFields is a typical ~20-field paid notification, before signing.
func notificationFields() wxpay.Params {
	return wxpay.Params{
		"return_code":    "SUCCESS",
		"return_msg":     "OK",
		"appid":          testAppID,
		"mch_id":         testMchID,
		"nonce_str":      "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
		"result_code":    "SUCCESS",
		"openid":         "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"is_subscribe":   "N",
		"trade_type":     "NATIVE",
		"bank_type":      "CMC",
		"total_fee":      "2800",
		"cash_fee":       "2600",
		"fee_type":       "CNY",
		"coupon_fee":     "200",
		"coupon_count":   "1",
		"coupon_id_0":    "10000",
		"coupon_fee_0":   "200",
		"transaction_id": "4200001234202405011234567890",
		"out_trade_no":   "20240501123456000000Ab3dE5fG",
		"attach":         "订单 #42",
		"time_end":       "20240501123501",
	}
}

// notificationBody is a signed notification as WeChat would post it.
func notificationBody(tb testing.TB, t wxpay.SignType) []byte {
	tb.Helper()
	p := notificationFields()
	if t == wxpay.SignMD5 {
		p["sign_type"] = "MD5"
	}
	return wxpay.Encode(signed(tb, p, testKey, t))
}
