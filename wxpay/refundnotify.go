package wxpay

import (
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrDecrypt is a refund notification whose req_info does not decrypt with
// the merchant's key: not base64, not whole AES blocks, bad padding, or not
// a flat <root> document once decrypted. Such a notification is not from
// WeChat (or not for this merchant) and changes nothing.
var ErrDecrypt = errors.New("wxpay: req_info does not decrypt")

// refundKey is the AES-256 key of req_info: the 32 ASCII characters of the
// lower-case hex MD5 of the API key.
func refundKey(apiKey string) []byte {
	sum := md5.Sum([]byte(apiKey))
	return []byte(hex.EncodeToString(sum[:]))
}

// ParseRefundNotification decodes a refund notification and decrypts its
// req_info with the API key. Refund notifications carry no sign: a req_info
// that decrypts and unpads into a well-formed document is the proof that
// WeChat sent it. It does not check appid and mch_id against a merchant;
// Client.ParseRefundNotification does. Nor does it know the refund: the
// caller checks that out_refund_no is its own and that out_trade_no and
// refund_fee match it.
func ParseRefundNotification(body []byte, apiKey string) (*RefundNotification, error) {
	outer, err := Decode(body)
	if err != nil {
		return nil, err
	}
	if rc := outer["return_code"]; rc != "SUCCESS" {
		return nil, &Error{Op: "refund-notify", ReturnCode: rc, ReturnMsg: outer["return_msg"]}
	}
	plain, err := decryptReqInfo(outer["req_info"], apiKey)
	if err != nil {
		return nil, err
	}
	p, err := DecodeRoot(plain, "root")
	if err != nil {
		// A wrong key unpads by chance once in 256 tries; what comes out is
		// then noise, which is a failed decryption, not a malformed message.
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	n, err := refundNotification(p)
	if err != nil {
		return nil, err
	}
	// The outer fields (appid, mch_id, nonce_str…) travel with the inner ones
	// for the caller's record; the inner ones win on a clash.
	for k, v := range outer {
		if _, ok := p[k]; !ok && k != "req_info" {
			p[k] = v
		}
	}
	return n, nil
}

// ParseRefundNotification decrypts a refund notification and checks that it
// is addressed to this merchant.
func (c *Client) ParseRefundNotification(body []byte) (*RefundNotification, error) {
	n, err := ParseRefundNotification(body, c.cfg.APIKey)
	if err != nil {
		return nil, err
	}
	if n.Fields["appid"] != c.cfg.AppID || n.Fields["mch_id"] != c.cfg.MchID {
		return nil, fmt.Errorf("%w: appid=%q mch_id=%q", ErrMerchantMismatch, n.Fields["appid"], n.Fields["mch_id"])
	}
	return n, nil
}

func refundNotification(p Params) (*RefundNotification, error) {
	n := &RefundNotification{
		OutRefundNo: p["out_refund_no"], OutTradeNo: p["out_trade_no"],
		RefundID: p["refund_id"], TransactionID: p["transaction_id"], Fields: p,
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: refund notification: %s", ErrInvalidParam, fmt.Sprintf(format, a...))
	}
	var ok bool
	switch {
	case !ValidOutRefundNo(n.OutRefundNo):
		return nil, bad("out_refund_no %q", n.OutRefundNo)
	case !ValidOutTradeNo(n.OutTradeNo):
		return nil, bad("out_trade_no %q", n.OutTradeNo)
	case n.RefundID == "":
		return nil, bad("no refund_id")
	}
	if n.Status, ok = v2RefundStatus(p["refund_status"]); !ok || n.Status == RefundProcessing {
		// A notification reports a refund's end; PROCESSING is never sent.
		return nil, bad("refund_status %q", p["refund_status"])
	}
	if n.TotalFee, ok = p.Int64("total_fee"); !ok || n.TotalFee <= 0 {
		return nil, bad("total_fee %q", p["total_fee"])
	}
	if n.RefundFee, ok = p.Int64("refund_fee"); !ok || n.RefundFee <= 0 || n.RefundFee > n.TotalFee {
		return nil, bad("refund_fee %q of total_fee %d", p["refund_fee"], n.TotalFee)
	}
	if v, present := p["settlement_refund_fee"]; present && v != "" {
		if s, ok := p.Int64("settlement_refund_fee"); !ok || s < 0 || s > n.RefundFee {
			return nil, bad("settlement_refund_fee %q", v)
		}
	}
	if t := p["success_time"]; t != "" && n.Status == RefundSuccess {
		var err error
		if n.SuccessTime, err = parseRefundTime(t); err != nil {
			return nil, bad("success_time %q", t)
		}
	}
	return n, nil
}

// decryptReqInfo undoes base64 and AES-256-ECB with PKCS#7 padding. ECB has
// no chaining, so a padding check that answers differently is no oracle for
// the other blocks.
func decryptReqInfo(reqInfo, apiKey string) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(reqInfo)
	switch {
	case reqInfo == "":
		return nil, fmt.Errorf("%w: no req_info", ErrDecrypt)
	case err != nil:
		return nil, fmt.Errorf("%w: not base64", ErrDecrypt)
	case len(ct) == 0 || len(ct)%aes.BlockSize != 0:
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of AES blocks", ErrDecrypt, len(ct))
	}
	block, err := aes.NewCipher(refundKey(apiKey))
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(ct))
	for i := 0; i < len(ct); i += aes.BlockSize {
		block.Decrypt(plain[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
		}
	}
	return plain[:len(plain)-pad], nil
}

// SealRefundInfo is the sending side of req_info, for the simulator: p as a
// flat <root> document, PKCS#7-padded, AES-256-ECB with the key derived from
// apiKey, in base64.
func SealRefundInfo(p Params, apiKey string) string {
	plain := encodeRoot(p, "root")
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	for range pad {
		plain = append(plain, byte(pad))
	}
	block, err := aes.NewCipher(refundKey(apiKey))
	if err != nil {
		panic(err) // the key is always 32 bytes
	}
	for i := 0; i < len(plain); i += aes.BlockSize {
		block.Encrypt(plain[i:i+aes.BlockSize], plain[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(plain)
}
