package wxpay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// ErrNoClientCert: Refund was called on a client configured without the
// merchant certificate, which WeChat requires for /secapi/ calls.
var ErrNoClientCert = errors.New("wxpay: refunds need the merchant certificate (WXPAY_CERT_P12_FILE, or WXPAY_CERT_FILE and WXPAY_KEY_FILE)")

// maxRefundCount is WeChat's limit of partial refunds per order; a
// refundquery reply never lists more.
const maxRefundCount = 50

// ValidOutRefundNo checks WeChat's rule for out_refund_no: 1–64 of
// [0-9A-Za-z_-|*@].
func ValidOutRefundNo(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case c == '_', c == '-', c == '|', c == '*', c == '@':
		default:
			return false
		}
	}
	return true
}

func validateRefund(r *RefundRequest) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidParam, fmt.Sprintf(format, a...))
	}
	switch {
	case !ValidOutTradeNo(r.OutTradeNo):
		return bad("out_trade_no %q must be 6–32 of [0-9A-Za-z_-|*]", r.OutTradeNo)
	case !ValidOutRefundNo(r.OutRefundNo):
		return bad("out_refund_no %q must be 1–64 of [0-9A-Za-z_-|*@]", r.OutRefundNo)
	case r.TotalFee <= 0:
		return bad("total_fee must be a positive number of fen, got %d", r.TotalFee)
	case r.RefundFee <= 0 || r.RefundFee > r.TotalFee:
		return bad("refund_fee must be 1..total_fee (%d) fen, got %d", r.TotalFee, r.RefundFee)
	case !utf8.ValidString(r.Reason) || utf8.RuneCountInString(r.Reason) > 80:
		return bad("refund_desc must be at most 80 characters of UTF-8")
	}
	if r.NotifyURL != "" {
		return ValidNotifyURL(r.NotifyURL)
	}
	return nil
}

// Refund asks WeChat to refund part or all of a paid order, over mutual TLS
// with the merchant certificate. Success means accepted (PROCESSING), not
// refunded: the end comes as a refund notification or from RefundQuery.
// When the outcome is unknown (IsRetryable), send the same request again:
// WeChat treats a repeated out_refund_no as the same refund.
func (c *Client) Refund(ctx context.Context, r *RefundRequest) (*RefundResponse, error) {
	if c.sec == nil {
		return nil, ErrNoClientCert
	}
	if err := validateRefund(r); err != nil {
		return nil, err
	}
	p := Params{
		"out_trade_no": r.OutTradeNo, "out_refund_no": r.OutRefundNo,
		"total_fee": strconv.FormatInt(r.TotalFee, 10), "refund_fee": strconv.FormatInt(r.RefundFee, 10),
	}
	if r.Reason != "" {
		p["refund_desc"] = r.Reason
	}
	if r.NotifyURL != "" {
		p["notify_url"] = r.NotifyURL
	}
	const op = "refund"
	reply, x, err := c.callWith(ctx, c.sec, op, "/secapi/pay/refund", p)
	if err != nil {
		return nil, err
	}
	untrusted := func(format string, a ...any) error {
		return &TransportError{Op: op, Err: fmt.Errorf(format, a...), Exchange: x}
	}
	if reply["refund_id"] == "" {
		return nil, untrusted("reply without refund_id")
	}
	if got := reply["out_refund_no"]; got != "" && got != r.OutRefundNo {
		return nil, untrusted("reply for out_refund_no %q", got)
	}
	if v, ok := reply["refund_fee"]; ok {
		if n, ok := reply.Int64("refund_fee"); !ok || n != r.RefundFee {
			return nil, untrusted("reply with refund_fee %q, asked %d", v, r.RefundFee)
		}
	}
	return &RefundResponse{RefundID: reply["refund_id"], Status: RefundProcessing, Fields: reply, Exchange: x}, nil
}

// v2RefundStatus maps v2's refund_status onto the Refund* states.
func v2RefundStatus(s string) (string, bool) {
	switch s {
	case "SUCCESS":
		return RefundSuccess, true
	case "PROCESSING":
		return RefundProcessing, true
	case "REFUNDCLOSE":
		return RefundClosed, true
	case "CHANGE":
		return RefundAbnormal, true
	}
	return "", false
}

// refundTimeLayout is refund_success_time's yyyy-MM-dd HH:mm:ss, Beijing time.
const refundTimeLayout = "2006-01-02 15:04:05"

func parseRefundTime(s string) (time.Time, error) {
	return time.ParseInLocation(refundTimeLayout, s, beijing)
}

// RefundQuery asks WeChat for a refund's state by out_refund_no (no
// certificate needed). A refund WeChat does not know is an *Error with
// err_code REFUNDNOTEXIST (IsRefundNotExist).
func (c *Client) RefundQuery(ctx context.Context, outRefundNo string) (*RefundQueryResponse, error) {
	if !ValidOutRefundNo(outRefundNo) {
		return nil, fmt.Errorf("%w: out_refund_no %q", ErrInvalidParam, outRefundNo)
	}
	const op = "refundquery"
	reply, x, err := c.call(ctx, op, "/pay/refundquery", Params{"out_refund_no": outRefundNo})
	if err != nil {
		return nil, err
	}
	untrusted := func(format string, a ...any) error {
		return &TransportError{Op: op, Err: fmt.Errorf(format, a...), Exchange: x}
	}
	// The refunds come as indexed fields (out_refund_no_0, refund_status_0…);
	// a query by out_refund_no lists that one, but the index is looked up
	// rather than assumed.
	count, ok := reply.Int64("refund_count")
	if !ok || count < 1 || count > maxRefundCount {
		return nil, untrusted("reply with refund_count %q", reply["refund_count"])
	}
	n := -1
	for i := range int(count) {
		if reply["out_refund_no_"+strconv.Itoa(i)] == outRefundNo {
			n = i
			break
		}
	}
	if n < 0 {
		return nil, untrusted("reply does not list out_refund_no %q", outRefundNo)
	}
	idx := "_" + strconv.Itoa(n)
	r := &RefundQueryResponse{OutRefundNo: outRefundNo, RefundID: reply["refund_id"+idx], Fields: reply, Exchange: x}
	if r.Status, ok = v2RefundStatus(reply["refund_status"+idx]); !ok {
		return nil, untrusted("reply with refund_status %q", reply["refund_status"+idx])
	}
	if r.RefundFee, ok = reply.Int64("refund_fee" + idx); !ok || r.RefundFee <= 0 || r.RefundID == "" {
		return nil, untrusted("reply without refund_id or refund_fee")
	}
	if t := reply["refund_success_time"+idx]; t != "" && r.Status == RefundSuccess {
		if r.SuccessTime, err = parseRefundTime(t); err != nil {
			return nil, untrusted("reply with refund_success_time %q", t)
		}
	}
	return r, nil
}
