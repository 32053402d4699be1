package wxpay

import (
	"fmt"
	"strconv"
	"time"
)

// The second signature: in-app payments (JSAPI in WeChat's browser and mini
// programs, and native APP) hand the client a fresh set of fields signed
// again with the API key. Reusing the sign of the unifiedorder reply is the
// classic mistake; these helpers always sign anew.

// JSAPIPayParams returns the fields for wx.requestPayment / WeixinJSBridge
// "getBrandWCPayRequest": appId, timeStamp, nonceStr, package=prepay_id=…,
// signType and paySign.
func JSAPIPayParams(appID, prepayID, key string, t SignType, now time.Time, nonce string) (map[string]string, error) {
	if err := requireAll(appID, prepayID, key, nonce); err != nil {
		return nil, err
	}
	p := Params{
		"appId":     appID,
		"timeStamp": strconv.FormatInt(now.Unix(), 10),
		"nonceStr":  nonce,
		"package":   "prepay_id=" + prepayID,
		"signType":  string(t),
	}
	sign, err := Sign(p, key, t)
	if err != nil {
		return nil, err
	}
	p["paySign"] = sign
	return p, nil
}

// AppPayParams returns the fields for the WeChat SDK's PayReq in a native
// app: appid, partnerid, prepayid, package=Sign=WXPay, noncestr, timestamp
// and sign.
func AppPayParams(appID, mchID, prepayID, key string, t SignType, now time.Time, nonce string) (map[string]string, error) {
	if err := requireAll(appID, mchID, prepayID, key, nonce); err != nil {
		return nil, err
	}
	p := Params{
		"appid":     appID,
		"partnerid": mchID,
		"prepayid":  prepayID,
		"package":   "Sign=WXPay",
		"noncestr":  nonce,
		"timestamp": strconv.FormatInt(now.Unix(), 10),
	}
	sign, err := Sign(p, key, t)
	if err != nil {
		return nil, err
	}
	p["sign"] = sign
	return p, nil
}

// requireAll refuses empty arguments: an empty field would be left out of
// the signature silently, and the client would fail with an opaque error.
func requireAll(vs ...string) error {
	for _, v := range vs {
		if v == "" {
			return fmt.Errorf("%w: appid, mch_id, prepay_id, key and nonce must not be empty", ErrInvalidParam)
		}
	}
	return nil
}

// JSAPIPayParams signs the client parameters of a JSAPI prepay_id for
// appID (the official account's or a mini program's) with the client's key
// and sign type, at the client's clock with a fresh nonce.
func (c *Client) JSAPIPayParams(appID, prepayID string) (map[string]string, error) {
	nonce, err := randomString(c.cfg.Rand, 32)
	if err != nil {
		return nil, err
	}
	return JSAPIPayParams(appID, prepayID, c.cfg.APIKey, c.cfg.SignType, c.cfg.Now(), nonce)
}

// AppPayParams signs the WeChat SDK's PayReq of an APP prepay_id.
func (c *Client) AppPayParams(appID, prepayID string) (map[string]string, error) {
	nonce, err := randomString(c.cfg.Rand, 32)
	if err != nil {
		return nil, err
	}
	return AppPayParams(appID, c.cfg.MchID, prepayID, c.cfg.APIKey, c.cfg.SignType, c.cfg.Now(), nonce)
}
