package wxpay_test

import (
	"errors"
	"maps"
	"testing"
	"time"

	"wxcheckout/wxpay"
)

func TestJSAPIPayParams(t *testing.T) {
	now := time.Unix(1414561699, 0)
	const prepay = "wx201410272009395522657a690389285100"
	const nonce = "e61463f8efa94090b1f366cccfbbb444"
	// The unifiedorder reply that produced prepay: its sign must never be reused.
	reply := signed(t, wxpay.Params{"appid": testAppID, "mch_id": testMchID, "prepay_id": prepay,
		"nonce_str": nonce, "return_code": "SUCCESS", "result_code": "SUCCESS", "trade_type": "JSAPI"}, testKey, wxpay.SignMD5)
	tests := []struct {
		t      wxpay.SignType
		toSign string
	}{
		{wxpay.SignMD5, "appId=" + testAppID + "&nonceStr=" + nonce + "&package=prepay_id=" + prepay +
			"&signType=MD5&timeStamp=1414561699&key=" + testKey},
		{wxpay.SignHMACSHA256, "appId=" + testAppID + "&nonceStr=" + nonce + "&package=prepay_id=" + prepay +
			"&signType=HMAC-SHA256&timeStamp=1414561699&key=" + testKey},
	}
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			got, err := wxpay.JSAPIPayParams(testAppID, prepay, testKey, tt.t, now, nonce)
			if err != nil {
				t.Fatalf("JSAPIPayParams: %v", err)
			}
			wantSign := md5Upper(tt.toSign)
			if tt.t == wxpay.SignHMACSHA256 {
				wantSign = hmacUpper(testKey, tt.toSign)
			}
			want := map[string]string{
				"appId": testAppID, "timeStamp": "1414561699", "nonceStr": nonce,
				"package": "prepay_id=" + prepay, "signType": string(tt.t), "paySign": wantSign,
			}
			if !maps.Equal(got, want) {
				t.Errorf("JSAPIPayParams = %q\nwant %q", got, want)
			}
			if got["paySign"] == reply["sign"] {
				t.Errorf("paySign reuses the unifiedorder reply's sign %s", reply["sign"])
			}
		})
	}
}

func TestAppPayParams(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	const prepay = "wx20240501200000abcdef0123456789"
	const nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"
	reply := signed(t, wxpay.Params{"appid": testAppID, "mch_id": testMchID, "prepay_id": prepay,
		"nonce_str": nonce, "return_code": "SUCCESS", "result_code": "SUCCESS", "trade_type": "APP"}, testKey, wxpay.SignHMACSHA256)
	toSign := "appid=" + testAppID + "&noncestr=" + nonce + "&package=Sign=WXPay&partnerid=" + testMchID +
		"&prepayid=" + prepay + "&timestamp=1714564800&key=" + testKey
	tests := []struct {
		t    wxpay.SignType
		want string
	}{
		{wxpay.SignMD5, md5Upper(toSign)},
		{wxpay.SignHMACSHA256, hmacUpper(testKey, toSign)},
	}
	for _, tt := range tests {
		t.Run(string(tt.t), func(t *testing.T) {
			got, err := wxpay.AppPayParams(testAppID, testMchID, prepay, testKey, tt.t, now, nonce)
			if err != nil {
				t.Fatalf("AppPayParams: %v", err)
			}
			want := map[string]string{
				"appid": testAppID, "partnerid": testMchID, "prepayid": prepay, "package": "Sign=WXPay",
				"noncestr": nonce, "timestamp": "1714564800", "sign": tt.want,
			}
			if !maps.Equal(got, want) {
				t.Errorf("AppPayParams = %q\nwant %q", got, want)
			}
			if got["sign"] == reply["sign"] {
				t.Errorf("sign reuses the unifiedorder reply's sign %s", reply["sign"])
			}
		})
	}
}

func TestPayParamsUnknownSignType(t *testing.T) {
	if _, err := wxpay.JSAPIPayParams(testAppID, "wx1", testKey, "SHA1", time.Now(), "n"); err == nil {
		t.Error("JSAPIPayParams with SHA1 = nil error")
	}
	if _, err := wxpay.AppPayParams(testAppID, testMchID, "wx1", testKey, "SHA1", time.Now(), "n"); err == nil {
		t.Error("AppPayParams with SHA1 = nil error")
	}
}

func TestInAppParamsRefuseEmptyFields(t *testing.T) {
	now := time.Unix(1700000000, 0)
	if _, err := wxpay.JSAPIPayParams("wx1", "", "k", wxpay.SignMD5, now, "n"); !errors.Is(err, wxpay.ErrInvalidParam) {
		t.Errorf("JSAPI with no prepay_id = %v, want ErrInvalidParam", err)
	}
	if _, err := wxpay.AppPayParams("wx1", "1900", "wx2", "k", wxpay.SignMD5, now, ""); !errors.Is(err, wxpay.ErrInvalidParam) {
		t.Errorf("APP with no nonce = %v, want ErrInvalidParam", err)
	}
}
