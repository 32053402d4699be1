package wxpayv3

import (
	"crypto/rsa"
	"fmt"
	"io"
	"strconv"
	"time"

	"wxcheckout/wxpay"
)

// The second signature of API v3: JSAPI (WeixinJSBridge
// "getBrandWCPayRequest", a mini program's wx.requestPayment) and APP (the
// WeChat SDK's PayReq) hand the client fresh fields signed with the
// merchant private key, RSA-SHA256 over the fields one a line. Nothing of
// the order's reply is reused.

// JSAPIPayMessage is what the paySign of JSAPI covers:
// appId\ntimeStamp\nnonceStr\npackage\n.
func JSAPIPayMessage(appID, timeStamp, nonceStr, pkg string) string {
	return appID + "\n" + timeStamp + "\n" + nonceStr + "\n" + pkg + "\n"
}

// AppPayMessage is what the sign of APP covers:
// appid\ntimestamp\nnoncestr\nprepayid\n.
func AppPayMessage(appID, timestamp, nonceStr, prepayID string) string {
	return appID + "\n" + timestamp + "\n" + nonceStr + "\n" + prepayID + "\n"
}

// SignJSAPIPay returns the JSAPI client fields signed with key: appId,
// timeStamp, nonceStr, package=prepay_id=…, signType=RSA and paySign.
func SignJSAPIPay(key *rsa.PrivateKey, appID, prepayID string, now time.Time, nonce string) (map[string]string, error) {
	if err := requireAll(appID, prepayID, nonce); err != nil {
		return nil, err
	}
	p := map[string]string{
		"appId":     appID,
		"timeStamp": strconv.FormatInt(now.Unix(), 10),
		"nonceStr":  nonce,
		"package":   "prepay_id=" + prepayID,
		"signType":  "RSA",
	}
	sig, err := Sign(key, JSAPIPayMessage(p["appId"], p["timeStamp"], p["nonceStr"], p["package"]))
	if err != nil {
		return nil, err
	}
	p["paySign"] = sig
	return p, nil
}

// SignAppPay returns the APP client fields signed with key: appid,
// partnerid, prepayid, package=Sign=WXPay, noncestr, timestamp and sign.
func SignAppPay(key *rsa.PrivateKey, appID, mchID, prepayID string, now time.Time, nonce string) (map[string]string, error) {
	if err := requireAll(appID, mchID, prepayID, nonce); err != nil {
		return nil, err
	}
	p := map[string]string{
		"appid":     appID,
		"partnerid": mchID,
		"prepayid":  prepayID,
		"package":   "Sign=WXPay",
		"noncestr":  nonce,
		"timestamp": strconv.FormatInt(now.Unix(), 10),
	}
	sig, err := Sign(key, AppPayMessage(p["appid"], p["timestamp"], p["noncestr"], p["prepayid"]))
	if err != nil {
		return nil, err
	}
	p["sign"] = sig
	return p, nil
}

// requireAll refuses empty arguments, and line breaks, which would shift
// the fields of the signed message.
func requireAll(vs ...string) error {
	for _, v := range vs {
		if v == "" || len(v) > 128 || containsNewline(v) {
			return fmt.Errorf("%w: appid, mchid, prepay_id and nonce must be 1–128 bytes without line breaks", wxpay.ErrInvalidParam)
		}
	}
	return nil
}

func containsNewline(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return true
		}
	}
	return false
}

// JSAPIPayParams signs the client fields of a JSAPI prepay_id for appID
// (the official account's or a mini program's; one of the merchant's)
// with the merchant key, at the client's clock with a fresh nonce.
func (c *Client) JSAPIPayParams(appID, prepayID string) (map[string]string, error) {
	nonce, err := c.payNonce(appID)
	if err != nil {
		return nil, err
	}
	return SignJSAPIPay(c.cfg.Signer.Key, appID, prepayID, c.cfg.Now(), nonce)
}

// AppPayParams signs the WeChat SDK's PayReq of an APP prepay_id.
func (c *Client) AppPayParams(appID, prepayID string) (map[string]string, error) {
	nonce, err := c.payNonce(appID)
	if err != nil {
		return nil, err
	}
	return SignAppPay(c.cfg.Signer.Key, appID, c.cfg.MchID, prepayID, c.cfg.Now(), nonce)
}

// payNonce checks appID is the merchant's and draws a 32-character nonce
// from the client's random source.
func (c *Client) payNonce(appID string) (string, error) {
	if !c.ownAppID(appID) {
		return "", fmt.Errorf("%w: appid %q is not one of the merchant's appids", wxpay.ErrInvalidParam, clip(appID))
	}
	return alnumNonce(c.cfg.Rand, 32)
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// alnumNonce draws n characters of [0-9A-Za-z] uniformly from r.
func alnumNonce(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("wxpayv3: random source: %w", err)
		}
		for _, b := range buf {
			if b < 248 && len(out) < n { // 248 = 4*62: keep the draw uniform
				out = append(out, alnum[b%62])
			}
		}
	}
	return string(out), nil
}
