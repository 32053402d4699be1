package wxpayv3

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"wxcheckout/wxpay"
)

// Ops of the refund calls, as in Error.Op and Exchange.Op (v2's names).
const (
	OpRefund      = "refund"
	OpRefundQuery = "refundquery"
)

// RefundResponse is a refund as WeChat answered a refund or a query.
type RefundResponse struct {
	Refund
	Exchange *wxpay.Exchange
}

type refundRequestJSON struct {
	OutTradeNo  string           `json:"out_trade_no"`
	OutRefundNo string           `json:"out_refund_no"`
	Reason      string           `json:"reason,omitempty"`
	NotifyURL   string           `json:"notify_url"`
	Amount      refundAmountJSON `json:"amount"`
}

type refundAmountJSON struct {
	Refund   int64  `json:"refund"`
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

func validateRefund(r *wxpay.RefundRequest, notifyURL string) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", wxpay.ErrInvalidParam, fmt.Sprintf(format, a...))
	}
	switch {
	case !wxpay.ValidOutTradeNo(r.OutTradeNo):
		return bad("out_trade_no %q must be 6–32 of [0-9A-Za-z_-|*]", r.OutTradeNo)
	case !ValidOutRefundNo(r.OutRefundNo):
		return bad("out_refund_no %q must be 1–64 of [0-9A-Za-z_-|*@]", r.OutRefundNo)
	case r.TotalFee <= 0:
		return bad("amount.total must be a positive number of fen, got %d", r.TotalFee)
	case r.RefundFee <= 0 || r.RefundFee > r.TotalFee:
		return bad("amount.refund must be 1..%d fen, got %d", r.TotalFee, r.RefundFee)
	case !validRefundReason(r.Reason):
		return bad("reason must be at most %d characters of UTF-8", MaxRefundReasonRunes)
	case notifyURL == "":
		return bad("notify_url is required")
	}
	return wxpay.ValidNotifyURL(notifyURL)
}

// Refund asks WeChat to refund part or all of a paid order
// (POST /v3/refund/domestic/refunds). Its answer is usually PROCESSING; the
// end comes as a REFUND.* notification or a QueryRefund. A call whose
// outcome is unknown (*TransportError, 5xx SYSTEM_ERROR among them) is
// sent again with the same out_refund_no and fields, which WeChat treats
// as the same refund. NotifyURL defaults to Config.NotifyURL.
func (c *Client) Refund(ctx context.Context, r wxpay.RefundRequest) (*RefundResponse, error) {
	notifyURL := r.NotifyURL
	if notifyURL == "" {
		notifyURL = c.cfg.NotifyURL
	}
	if err := validateRefund(&r, notifyURL); err != nil {
		return nil, err
	}
	b, err := encodeJSON(refundRequestJSON{OutTradeNo: r.OutTradeNo, OutRefundNo: r.OutRefundNo, Reason: r.Reason,
		NotifyURL: notifyURL, Amount: refundAmountJSON{Refund: r.RefundFee, Total: r.TotalFee, Currency: "CNY"}})
	if err != nil {
		return nil, fmt.Errorf("wxpayv3: %w", err)
	}
	reply, x, err := c.call(ctx, OpRefund, http.MethodPost, "/v3/refund/domestic/refunds", b)
	if err != nil {
		return nil, err
	}
	ref, err := c.refundReply(OpRefund, reply, x, r.OutRefundNo)
	if err != nil {
		return nil, err
	}
	// A reply about another order or another amount answers some other
	// request: what became of ours is unknown.
	if ref.OutTradeNo != "" && ref.OutTradeNo != r.OutTradeNo || ref.RefundFee != r.RefundFee {
		return nil, &TransportError{Op: OpRefund, HTTPStatus: x.HTTPStatus, Exchange: x,
			Err: fmt.Errorf("reply: %w: out_trade_no %q, amount.refund %d", ErrMalformed, clip(ref.OutTradeNo), ref.RefundFee)}
	}
	return ref, nil
}

// QueryRefund asks for a refund by out_refund_no
// (GET /v3/refund/domestic/refunds/{out_refund_no}). An unknown one is a
// 404 RESOURCE_NOT_EXISTS *Error.
func (c *Client) QueryRefund(ctx context.Context, outRefundNo string) (*RefundResponse, error) {
	if !ValidOutRefundNo(outRefundNo) {
		return nil, fmt.Errorf("%w: out_refund_no %q", wxpay.ErrInvalidParam, outRefundNo)
	}
	reply, x, err := c.call(ctx, OpRefundQuery, http.MethodGet, "/v3/refund/domestic/refunds/"+url.PathEscape(outRefundNo), nil)
	if err != nil {
		return nil, err
	}
	return c.refundReply(OpRefundQuery, reply, x, outRefundNo)
}

// refundReply decodes a verified 2xx refund reply; one that is malformed or
// about another refund is not trusted (*TransportError).
func (c *Client) refundReply(op string, reply []byte, x *wxpay.Exchange, outRefundNo string) (*RefundResponse, error) {
	untrusted := func(err error) error {
		return &TransportError{Op: op, HTTPStatus: x.HTTPStatus, Err: fmt.Errorf("reply: %w", err), Exchange: x}
	}
	ref, err := decodeRefund(reply, false)
	if err != nil {
		return nil, untrusted(err)
	}
	if ref.OutRefundNo != outRefundNo {
		return nil, untrusted(fmt.Errorf("%w: for out_refund_no %q", ErrMalformed, clip(ref.OutRefundNo)))
	}
	return &RefundResponse{Refund: *ref, Exchange: x}, nil
}
