package wxpaysim

import (
	"cmp"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"wxcheckout/wxpay"
	wxpayv3 "wxcheckout/wxpay/v3"
)

// Why WeChat's client refuses in-app payment parameters (the second
// signature, SPEC §9); Refusal gives its words.
var (
	ErrUnknownPrepay = errors.New("wxpaysim: unknown prepay_id")
	ErrBadPayParams  = errors.New("wxpaysim: bad payment parameters")
	ErrBadPaySign    = errors.New("wxpaysim: payment signature does not verify")
)

// PayJSAPI plays WeChat's payment sheet opened by
// WeixinJSBridge.invoke('getBrandWCPayRequest', params) or
// wx.requestPayment(params): it checks the parameters as WeChat's client
// does — appId is the order's, package is prepay_id=<a JSAPI prepay_id>,
// timeStamp (digits) and nonceStr are present, and paySign verifies (v2:
// MD5 or HMAC-SHA256 with the API key as signType says; v3 orders: RSA,
// SHA256withRSA by the merchant key over "appId\ntimeStamp\nnonceStr\npackage\n")
// — then pays the order as its openid. Errors: ErrUnknownPrepay,
// ErrBadPayParams, ErrBadPaySign (nothing paid), and those of Pay.
func (s *Server) PayJSAPI(params map[string]string) error {
	prepayID, ok := strings.CutPrefix(params["package"], "prepay_id=")
	if err := requireFields(params, "appId", "timeStamp", "nonceStr", "package", "signType", "paySign"); err != nil {
		return err
	}
	if !ok || prepayID == "" {
		return fmt.Errorf("%w: package must be prepay_id=…", ErrBadPayParams)
	}
	return s.payInApp(prepayID, wxpay.TradeJSAPI, params["appId"], func(o *order) error {
		return s.verifyJSAPI(o, params)
	})
}

// PayApp plays the WeChat SDK paying a PayReq in the merchant's app:
// appid, partnerid (the mch_id), prepayid (an APP prepay_id),
// package=Sign=WXPay, noncestr, timestamp and sign (v2: MD5 or HMAC-SHA256
// with the API key over those six; v3 orders: RSA over
// "appid\ntimestamp\nnoncestr\nprepayid\n"). Errors as PayJSAPI's.
func (s *Server) PayApp(params map[string]string) error {
	if err := requireFields(params, "appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"); err != nil {
		return err
	}
	switch {
	case params["partnerid"] != s.opts.MchID:
		return fmt.Errorf("%w: partnerid is not the merchant's mch_id", ErrBadPayParams)
	case params["package"] != "Sign=WXPay":
		return fmt.Errorf("%w: package must be Sign=WXPay", ErrBadPayParams)
	}
	return s.payInApp(params["prepayid"], wxpay.TradeAPP, params["appid"], func(o *order) error {
		return s.verifyApp(o, params)
	})
}

func requireFields(p map[string]string, names ...string) error {
	for _, k := range names {
		if p[k] == "" {
			return fmt.Errorf("%w: %s is missing", ErrBadPayParams, k)
		}
	}
	if ts := cmp.Or(p["timeStamp"], p["timestamp"]); strings.Trim(ts, "0123456789") != "" {
		return fmt.Errorf("%w: timestamp must be seconds since 1970, as digits", ErrBadPayParams)
	}
	return nil
}

// payInApp pays the order of prepayID, of trade type tradeType placed for
// appID, once verify accepts it.
func (s *Server) payInApp(prepayID, tradeType, appID string, verify func(*order) error) error {
	_, err := s.payAs(func() *order { return s.byPrepay[prepayID] }, appUser, func(o *order) error {
		switch {
		case o.tradeType != tradeType:
			return fmt.Errorf("%w: prepay_id is of a %s order, not %s", ErrBadPayParams, o.tradeType, tradeType)
		case appID != s.orderAppID(o):
			return fmt.Errorf("%w: appid is not the order's", ErrBadPayParams)
		}
		return verify(o)
	})
	if errors.Is(err, ErrUnknownCode) {
		return ErrUnknownPrepay
	}
	return err
}

// verifyJSAPI checks paySign. Guarded by s.mu (only for o's fields).
func (s *Server) verifyJSAPI(o *order, p map[string]string) error {
	if o.v3 {
		if p["signType"] != "RSA" {
			return fmt.Errorf("%w: signType must be RSA for an API v3 order", ErrBadPayParams)
		}
		msg := p["appId"] + "\n" + p["timeStamp"] + "\n" + p["nonceStr"] + "\n" + p["package"] + "\n"
		return s.verifyRSA(msg, p["paySign"])
	}
	t, err := wxpay.ParseSignType(p["signType"])
	if err != nil {
		return fmt.Errorf("%w: signType must be MD5 or HMAC-SHA256", ErrBadPayParams)
	}
	signed := wxpay.Params{}
	for _, k := range []string{"appId", "timeStamp", "nonceStr", "package", "signType"} {
		signed[k] = p[k]
	}
	return s.verifyV2(signed, p["paySign"], t)
}

// verifyApp checks the PayReq's sign. The SDK's request names no sign
// type, so both are tried.
func (s *Server) verifyApp(o *order, p map[string]string) error {
	if o.v3 {
		msg := p["appid"] + "\n" + p["timestamp"] + "\n" + p["noncestr"] + "\n" + p["prepayid"] + "\n"
		return s.verifyRSA(msg, p["sign"])
	}
	signed := wxpay.Params{}
	for _, k := range []string{"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp"} {
		signed[k] = p[k]
	}
	if s.verifyV2(signed, p["sign"], wxpay.SignMD5) == nil {
		return nil
	}
	return s.verifyV2(signed, p["sign"], wxpay.SignHMACSHA256)
}

func (s *Server) verifyV2(signed wxpay.Params, got string, t wxpay.SignType) error {
	want, err := wxpay.Sign(signed, s.opts.APIKey, t)
	if err != nil || subtle.ConstantTimeCompare([]byte(strings.ToUpper(got)), []byte(want)) != 1 {
		return ErrBadPaySign
	}
	return nil
}

// verifyRSA checks a v3 client signature with the merchant's public key,
// the one its API requests are verified with.
func (s *Server) verifyRSA(msg, sig string) error {
	k := s.opts.V3Keys
	if k == nil || wxpayv3.Verify(&k.MchKey.PublicKey, msg, sig) != nil {
		return ErrBadPaySign
	}
	return nil
}
