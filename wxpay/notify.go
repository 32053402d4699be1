package wxpay

import (
	"fmt"
	"time"
)

// Notification is a verified payment notification. Fields holds every field
// as received, including ones this type does not name.
type Notification struct {
	AppID         string
	MchID         string
	ResultCode    string // SUCCESS means paid
	ErrCode       string
	ErrCodeDes    string
	OpenID        string
	IsSubscribe   string
	TradeType     string
	BankType      string
	TotalFee      int64 // fen
	CashFee       int64 // fen
	FeeType       string
	TransactionID string
	OutTradeNo    string
	Attach        string
	TimeEnd       time.Time // in UTC+8
	Fields        Params
}

// Paid reports whether the notification reports a payment. return_code alone
// never means paid; only result_code does.
func (n *Notification) Paid() bool { return n.ResultCode == "SUCCESS" }

// ParseNotification decodes a notification body and verifies it with the API
// key: return_code must be SUCCESS, the sign must match over every field,
// and the amounts and time must be well formed. It does not check appid and
// mch_id against a merchant; Client.ParseNotification does.
func ParseNotification(body []byte, key string) (*Notification, error) {
	p, err := Decode(body)
	if err != nil {
		return nil, err
	}
	if rc := p["return_code"]; rc != "SUCCESS" {
		return nil, &Error{Op: "notify", ReturnCode: rc, ReturnMsg: p["return_msg"]}
	}
	if err := Verify(p, key); err != nil {
		return nil, err
	}
	n := &Notification{
		AppID: p["appid"], MchID: p["mch_id"], ResultCode: p["result_code"],
		ErrCode: p["err_code"], ErrCodeDes: p["err_code_des"], OpenID: p["openid"],
		IsSubscribe: p["is_subscribe"], TradeType: p["trade_type"], BankType: p["bank_type"],
		FeeType: p["fee_type"], TransactionID: p["transaction_id"], OutTradeNo: p["out_trade_no"],
		Attach: p["attach"], Fields: p,
	}
	if n.OutTradeNo == "" {
		return nil, fmt.Errorf("%w: notification without out_trade_no", ErrInvalidParam)
	}
	if !n.Paid() {
		return n, nil
	}
	var ok bool
	if n.TotalFee, ok = p.Int64("total_fee"); !ok || n.TotalFee <= 0 {
		return nil, fmt.Errorf("%w: total_fee %q", ErrInvalidParam, p["total_fee"])
	}
	if v, present := p["cash_fee"]; present && v != "" {
		if n.CashFee, ok = p.Int64("cash_fee"); !ok || n.CashFee < 0 {
			return nil, fmt.Errorf("%w: cash_fee %q", ErrInvalidParam, v)
		}
	}
	if n.TransactionID == "" {
		return nil, fmt.Errorf("%w: paid notification without transaction_id", ErrInvalidParam)
	}
	if n.TimeEnd, err = ParseTime(p["time_end"]); err != nil {
		return nil, fmt.Errorf("%w: time_end %q", ErrInvalidParam, p["time_end"])
	}
	return n, nil
}

// SuccessReply is the exact acknowledgement WeChat requires; anything else
// counts as not received and the notification is sent again.
var SuccessReply = []byte("<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>")

// FailReply asks WeChat to send the notification again later.
func FailReply(reason string) []byte {
	return Encode(Params{"return_code": "FAIL", "return_msg": reason})
}

// IsSuccessReply reports whether a merchant's reply to a notification is an
// acknowledgement: a well-formed <xml> with return_code SUCCESS.
func IsSuccessReply(body []byte) bool {
	p, err := Decode(body)
	return err == nil && p["return_code"] == "SUCCESS"
}
