package wxpayv3

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"wxcheckout/wxpay"
)

// Error codes of refund replies (besides the general ones in apierror.go).
const (
	// CodeResourceNotExists is a refund query for an out_refund_no WeChat
	// does not know (404), or a refund of an order it does not know.
	CodeResourceNotExists = "RESOURCE_NOT_EXISTS"
	// CodeNotEnough is a refund refused for want of funds in the merchant
	// account (403): nothing was refunded; the same out_refund_no may be
	// sent again once there is money.
	CodeNotEnough = "NOT_ENOUGH"
)

// MaxRefundReasonRunes is the longest reason WeChat takes (80 characters).
const MaxRefundReasonRunes = 80

// Refund is a refund at WeChat, from a refund or query reply or a REFUND.*
// notification's resource. Status is one of wxpay's Refund* states (v3
// names them alike). Fields holds every field as received, nested ones as
// dotted names (amount.refund).
type Refund struct {
	RefundID            string
	OutRefundNo         string
	TransactionID       string
	OutTradeNo          string
	MchID               string // notifications only
	Status              string
	SuccessTime         time.Time // in Beijing time; zero until SUCCESS
	UserReceivedAccount string
	Total               int64 // the order's amount, fen
	RefundFee           int64 // this refund, fen
	PayerTotal          int64
	PayerRefund         int64
	Fields              wxpay.Params
}

// refundJSON is both shapes WeChat writes a refund in: replies name its
// state "status", notification resources "refund_status".
type refundJSON struct {
	MchID               string `json:"mchid"`
	RefundID            string `json:"refund_id"`
	OutRefundNo         string `json:"out_refund_no"`
	TransactionID       string `json:"transaction_id"`
	OutTradeNo          string `json:"out_trade_no"`
	Status              string `json:"status"`
	RefundStatus        string `json:"refund_status"`
	SuccessTime         string `json:"success_time"`
	UserReceivedAccount string `json:"user_received_account"`
	Amount              struct {
		Total       int64  `json:"total"`
		Refund      int64  `json:"refund"`
		PayerTotal  int64  `json:"payer_total"`
		PayerRefund int64  `json:"payer_refund"`
		Currency    string `json:"currency"`
	} `json:"amount"`
}

// validRefundStatus reports whether s is one of the four refund states.
func validRefundStatus(s string) bool {
	switch s {
	case wxpay.RefundProcessing, wxpay.RefundSuccess, wxpay.RefundClosed, wxpay.RefundAbnormal:
		return true
	}
	return false
}

// ValidOutRefundNo reports whether s is 1–64 characters of
// [0-9A-Za-z_-|*@], as v3 takes an out_refund_no.
func ValidOutRefundNo(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' ||
			c == '_' || c == '-' || c == '|' || c == '*' || c == '@'
		if !ok {
			return false
		}
	}
	return true
}

// decodeRefund reads a refund's JSON strictly (one object, no repeated
// name, numbers where numbers belong) and checks what every refund
// carries: its numbers, a known state, a refund amount within the order's,
// and success_time when it succeeded (or whenever it is given). notified
// says which name the state comes under (refund_status in notifications).
func decodeRefund(b []byte, notified bool) (*Refund, error) {
	if err := checkJSON(b); err != nil {
		return nil, err
	}
	var w refundJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, invalid("refund: %v", err)
	}
	fields, err := flatten(b)
	if err != nil {
		return nil, err
	}
	r := &Refund{RefundID: w.RefundID, OutRefundNo: w.OutRefundNo, TransactionID: w.TransactionID,
		OutTradeNo: w.OutTradeNo, MchID: w.MchID, Status: w.Status, UserReceivedAccount: w.UserReceivedAccount,
		Total: w.Amount.Total, RefundFee: w.Amount.Refund, PayerTotal: w.Amount.PayerTotal,
		PayerRefund: w.Amount.PayerRefund, Fields: fields}
	if notified {
		r.Status = w.RefundStatus
	}
	switch {
	case !ValidOutRefundNo(r.OutRefundNo):
		return nil, invalid("out_refund_no %q", clip(r.OutRefundNo))
	case r.RefundID == "":
		return nil, invalid("refund without refund_id")
	case !validRefundStatus(r.Status):
		return nil, invalid("refund status %q", clip(r.Status))
	case r.RefundFee <= 0:
		return nil, invalid("amount.refund %d", r.RefundFee)
	case r.Total < r.RefundFee:
		return nil, invalid("amount.refund %d over amount.total %d", r.RefundFee, r.Total)
	case w.Amount.Currency != "" && w.Amount.Currency != "CNY":
		return nil, invalid("currency %q", clip(w.Amount.Currency))
	case r.Status == wxpay.RefundSuccess && w.SuccessTime == "":
		return nil, invalid("successful refund without success_time")
	}
	if w.SuccessTime != "" {
		st, err := time.Parse(TimeLayout, w.SuccessTime)
		if err != nil {
			return nil, invalid("success_time %q", clip(w.SuccessTime))
		}
		r.SuccessTime = st.In(wxpay.Beijing())
	}
	return r, nil
}

// validRefundReason reports whether s is at most 80 characters of UTF-8.
func validRefundReason(s string) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= MaxRefundReasonRunes
}
