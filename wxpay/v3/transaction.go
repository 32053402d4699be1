package wxpayv3

import (
	"encoding/json"
	"fmt"
	"time"

	"wxcheckout/wxpay"
)

// TimeLayout is how v3 writes times: RFC 3339 without fraction, in
// Beijing time (2006-01-02T15:04:05+08:00).
const TimeLayout = time.RFC3339

// FormatTime writes t as v3's time_expire wants it, in Beijing time
// whatever the server's zone.
func FormatTime(t time.Time) string { return t.In(wxpay.Beijing()).Format(TimeLayout) }

// Trade states (the same names as v2's).
const (
	TradeSuccess    = "SUCCESS"
	TradeRefund     = "REFUND"
	TradeNotPay     = "NOTPAY"
	TradeClosed     = "CLOSED"
	TradeRevoked    = "REVOKED"
	TradeUserPaying = "USERPAYING"
	TradePayError   = "PAYERROR"
)

// Transaction is an order at WeChat, from a query or a notification's
// resource. The payment fields are set only once it was paid (SUCCESS, or
// REFUND, which was paid first). Fields holds every field as received,
// nested ones as dotted names (amount.total), including ones this type does
// not name.
type Transaction struct {
	AppID          string
	MchID          string
	OutTradeNo     string
	TransactionID  string
	TradeType      string
	TradeState     string
	TradeStateDesc string
	BankType       string
	Attach         string
	SuccessTime    time.Time // in Beijing time
	OpenID         string
	Total          int64 // fen
	PayerTotal     int64 // fen, what the payer paid after coupons
	Currency       string
	Fields         wxpay.Params
}

// Paid reports whether the order was paid (REFUND: paid, then refunded).
func (t *Transaction) Paid() bool { return t.TradeState == TradeSuccess || t.TradeState == TradeRefund }

type transactionJSON struct {
	AppID          string `json:"appid"`
	MchID          string `json:"mchid"`
	OutTradeNo     string `json:"out_trade_no"`
	TransactionID  string `json:"transaction_id"`
	TradeType      string `json:"trade_type"`
	TradeState     string `json:"trade_state"`
	TradeStateDesc string `json:"trade_state_desc"`
	BankType       string `json:"bank_type"`
	Attach         string `json:"attach"`
	SuccessTime    string `json:"success_time"`
	Payer          struct {
		OpenID string `json:"openid"`
	} `json:"payer"`
	Amount struct {
		Total      int64  `json:"total"`
		PayerTotal int64  `json:"payer_total"`
		Currency   string `json:"currency"`
	} `json:"amount"`
}

// invalidField is a well-formed message whose fields do not make sense. It
// is both ErrMalformed and, as in v2, wxpay.ErrInvalidParam.
type invalidField struct{ msg string }

func (e *invalidField) Error() string { return "wxpayv3: invalid field: " + e.msg }
func (e *invalidField) Is(target error) bool {
	return target == ErrMalformed || target == wxpay.ErrInvalidParam
}

func invalid(format string, a ...any) error { return &invalidField{msg: fmt.Sprintf(format, a...)} }

// DecodeTransaction reads a transaction's JSON strictly and checks that a
// paid one carries its transaction_id, a positive amount and success_time.
// It does not check whose it is.
func DecodeTransaction(b []byte) (*Transaction, error) {
	if err := checkJSON(b); err != nil {
		return nil, err
	}
	var w transactionJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, invalid("transaction: %v", err)
	}
	fields, err := flatten(b)
	if err != nil {
		return nil, err
	}
	t := &Transaction{
		AppID: w.AppID, MchID: w.MchID, OutTradeNo: w.OutTradeNo, TradeType: w.TradeType,
		TradeState: w.TradeState, TradeStateDesc: w.TradeStateDesc, Attach: w.Attach,
		Currency: w.Amount.Currency, Fields: fields,
	}
	switch {
	case !wxpay.ValidOutTradeNo(t.OutTradeNo):
		return nil, invalid("out_trade_no %q", clip(t.OutTradeNo))
	case t.TradeState == "":
		return nil, invalid("transaction without trade_state")
	case !t.Paid():
		// A caller must not find payment fields on an unpaid order.
		return t, nil
	}
	t.TransactionID, t.BankType, t.OpenID = w.TransactionID, w.BankType, w.Payer.OpenID
	t.Total, t.PayerTotal = w.Amount.Total, w.Amount.PayerTotal
	switch {
	case t.TransactionID == "":
		return nil, invalid("paid transaction without transaction_id")
	case t.Total <= 0:
		return nil, invalid("paid transaction with amount.total %d", t.Total)
	case w.Amount.Currency != "" && w.Amount.Currency != "CNY":
		return nil, invalid("currency %q", clip(w.Amount.Currency))
	}
	st, err := time.Parse(TimeLayout, w.SuccessTime)
	if err != nil {
		return nil, invalid("success_time %q", clip(w.SuccessTime))
	}
	t.SuccessTime = st.In(wxpay.Beijing())
	return t, nil
}
