package wxpayv3

import (
	"fmt"

	"wxcheckout/wxpay"
)

// refundEvents are the REFUND.* events and the refund_status each reports.
var refundEvents = map[string]string{
	EventRefundSuccess:  wxpay.RefundSuccess,
	EventRefundAbnormal: wxpay.RefundAbnormal,
	EventRefundClosed:   wxpay.RefundClosed,
}

// parseRefundResource reads a REFUND.* notification's decrypted resource
// (mchid, out_trade_no, transaction_id, out_refund_no, refund_id,
// refund_status, success_time, user_received_account, amount{total,
// refund, payer_total, payer_refund}): strictly, for our mchid, with the
// state its event names. That the refund is ours and its amounts match is
// the caller's check, as v2's.
func (c *Client) parseRefundResource(event string, pt []byte) (*wxpay.RefundNotification, error) {
	r, err := decodeRefund(pt, true)
	if err != nil {
		return nil, err
	}
	switch {
	case r.MchID != c.cfg.MchID:
		return nil, fmt.Errorf("%w: mchid=%q", wxpay.ErrMerchantMismatch, clip(r.MchID))
	case !wxpay.ValidOutTradeNo(r.OutTradeNo):
		return nil, invalid("out_trade_no %q", clip(r.OutTradeNo))
	case r.TransactionID == "":
		return nil, invalid("refund without transaction_id")
	case r.Status != refundEvents[event]:
		return nil, invalid("refund_status %q in a %s", clip(r.Status), event)
	}
	return &wxpay.RefundNotification{OutRefundNo: r.OutRefundNo, OutTradeNo: r.OutTradeNo, RefundID: r.RefundID,
		TransactionID: r.TransactionID, TotalFee: r.Total, RefundFee: r.RefundFee, Status: r.Status,
		SuccessTime: r.SuccessTime, Fields: r.Fields}, nil
}
