package wxpay

import "time"

// Refund states as the app and SPEC §8 name them. v2's refund_status
// values map onto them: SUCCESS, PROCESSING, REFUNDCLOSE → CLOSED and
// CHANGE → ABNORMAL; v3 uses these names already.
const (
	RefundProcessing = "PROCESSING"
	RefundSuccess    = "SUCCESS"
	RefundClosed     = "CLOSED"
	RefundAbnormal   = "ABNORMAL"
)

// RefundRequest asks WeChat to refund part or all of a paid order. Sending
// it again with the same OutRefundNo is idempotent at WeChat: the way to
// retry a refund whose outcome is unknown.
type RefundRequest struct {
	OutTradeNo  string
	OutRefundNo string // ours, ≤64
	TotalFee    int64  // the order's paid amount, fen
	RefundFee   int64  // this refund, fen, 1..TotalFee
	Reason      string // refund_desc / reason, optional, ≤80 characters
	NotifyURL   string // where WeChat reports the refund's end
}

// RefundResponse is WeChat's acceptance of a refund: it is PROCESSING
// (or, in v3, sometimes already SUCCESS) — not yet money back.
type RefundResponse struct {
	RefundID string
	Status   string // one of the Refund* states
	Fields   Params
	Exchange *Exchange
}

// RefundQueryResponse is a refund's state at WeChat.
type RefundQueryResponse struct {
	OutRefundNo string
	RefundID    string
	Status      string // one of the Refund* states
	RefundFee   int64
	SuccessTime time.Time // zero until SUCCESS
	Fields      Params
	Exchange    *Exchange
}

// RefundNotification is a verified (v2: decrypted req_info; v3: decrypted
// REFUND.* resource) report of a refund's end.
type RefundNotification struct {
	OutRefundNo   string
	OutTradeNo    string
	RefundID      string
	TransactionID string
	TotalFee      int64
	RefundFee     int64
	Status        string // one of the Refund* states
	SuccessTime   time.Time
	Fields        Params
}
