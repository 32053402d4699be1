package wxpaysim

import (
	"encoding/json"
	"net/http"
	"unicode/utf8"

	"wxcheckout/wxpay"
)

// v3RefundRequest is the body of POST /v3/refund/domestic/refunds.
type v3RefundRequest struct {
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	OutRefundNo   string `json:"out_refund_no"`
	Reason        string `json:"reason"`
	NotifyURL     string `json:"notify_url"`
	FundsAccount  string `json:"funds_account"`
	Amount        *struct {
		Refund   *int64 `json:"refund"`
		Total    *int64 `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// v3RefundBody is a refund as the refund call and the query answer it.
type v3RefundBody struct {
	RefundID            string         `json:"refund_id"`
	OutRefundNo         string         `json:"out_refund_no"`
	TransactionID       string         `json:"transaction_id"`
	OutTradeNo          string         `json:"out_trade_no"`
	Channel             string         `json:"channel"`
	UserReceivedAccount string         `json:"user_received_account"`
	SuccessTime         string         `json:"success_time,omitempty"`
	CreateTime          string         `json:"create_time"`
	Status              string         `json:"status"`
	FundsAccount        string         `json:"funds_account"`
	Amount              v3RefundAmount `json:"amount"`
	PromotionDetail     []any          `json:"promotion_detail"`
}

type v3RefundAmount struct {
	Total            int64  `json:"total"`
	Refund           int64  `json:"refund"`
	From             []any  `json:"from"`
	PayerTotal       int64  `json:"payer_total"`
	PayerRefund      int64  `json:"payer_refund"`
	SettlementRefund int64  `json:"settlement_refund"`
	SettlementTotal  int64  `json:"settlement_total"`
	DiscountRefund   int64  `json:"discount_refund"`
	Currency         string `json:"currency"`
	RefundFee        int64  `json:"refund_fee"`
}

// v3RefundResource is the decrypted resource of a REFUND.* notification.
type v3RefundResource struct {
	MchID               string `json:"mchid"`
	OutTradeNo          string `json:"out_trade_no"`
	TransactionID       string `json:"transaction_id"`
	OutRefundNo         string `json:"out_refund_no"`
	RefundID            string `json:"refund_id"`
	RefundStatus        string `json:"refund_status"`
	SuccessTime         string `json:"success_time,omitempty"`
	UserReceivedAccount string `json:"user_received_account"`
	Amount              struct {
		Total       int64 `json:"total"`
		Refund      int64 `json:"refund"`
		PayerTotal  int64 `json:"payer_total"`
		PayerRefund int64 `json:"payer_refund"`
	} `json:"amount"`
}

const userReceivedAccount = "支付用户零钱"

// validateV3Refund applies WeChat's rules to a refund request.
func (s *Server) validateV3Refund(c *v3call) (*v3RefundRequest, *v3reply) {
	var req v3RefundRequest
	fail := func(r v3reply) (*v3RefundRequest, *v3reply) { return nil, &r }
	if err := decodeV3Body(c.body, &req); err != nil {
		return fail(v3ParamError("请求体JSON格式错误（invalid JSON body: " + err.Error() + "）"))
	}
	switch {
	case req.OutTradeNo == "" && req.TransactionID == "":
		return fail(v3ParamError("transaction_id和out_trade_no必须二选一进行传参"))
	case req.OutRefundNo == "":
		return fail(required("out_refund_no", "商户退款单号"))
	case req.Amount == nil:
		return fail(required("amount", "金额信息"))
	case req.Amount.Refund == nil:
		return fail(required("amount/refund", "退款金额"))
	case req.Amount.Total == nil:
		return fail(required("amount/total", "原订单金额"))
	case req.Amount.Currency == "":
		return fail(required("amount/currency", "退款币种"))
	case req.Amount.Currency != "CNY":
		return fail(v3ParamError("amount.currency只支持CNY"))
	case req.OutTradeNo != "" && !wxpay.ValidOutTradeNo(req.OutTradeNo):
		return fail(v3ParamError("out_trade_no格式错误"))
	case len(req.TransactionID) > 32:
		return fail(v3ParamError("transaction_id长度有误"))
	case !outRefundNoShape.MatchString(req.OutRefundNo):
		return fail(v3ParamError("out_refund_no格式错误，须为1-64位数字、大小写字母或_-|*@"))
	case utf8.RuneCountInString(req.Reason) > 80:
		return fail(v3ParamError("reason长度有误，不能超过80个字符"))
	case req.NotifyURL != "" && wxpay.ValidNotifyURL(req.NotifyURL) != nil:
		return fail(v3ParamError("notify_url格式错误，须为不超过256字节、不带参数的绝对URL"))
	case *req.Amount.Refund <= 0 || *req.Amount.Total <= 0:
		return fail(v3ParamError("amount.refund和amount.total须为正整数，单位为分"))
	case req.NotifyURL != "" && !s.notifyAllowed(req.NotifyURL):
		return fail(v3ParamError("notify_url不是本模拟器允许通知的地址（notify_url not allowed by this simulator）"))
	}
	return &req, nil
}

// v3Refund is POST /v3/refund/domestic/refunds.
func (s *Server) v3Refund(c *v3call) v3reply {
	req, bad := s.validateV3Refund(c)
	if bad != nil {
		return *bad
	}
	info, why := s.placeRefund(refundAsk{
		outTradeNo: req.OutTradeNo, transactionID: req.TransactionID, outRefundNo: req.OutRefundNo,
		totalFee: *req.Amount.Total, refundFee: *req.Amount.Refund, reason: req.Reason, notifyURL: req.NotifyURL,
		v3: true,
	})
	switch why {
	case refundNoOrder:
		return v3Fail(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
	case refundWrongTotal:
		return v3ParamError("amount.total与原订单金额不一致")
	case refundConflict:
		return v3Fail(http.StatusBadRequest, "INVALID_REQUEST", "退款单号out_refund_no重复，且与原退款请求的订单或金额不一致")
	case refundNotEnough:
		return v3Fail(http.StatusForbidden, "NOT_ENOUGH", "退款金额超过订单可退金额")
	case refundTooMany:
		return v3Fail(http.StatusBadRequest, "INVALID_REQUEST", "一笔订单最多退款50次")
	case refundStoreFailed:
		return v3SystemError
	}
	return s.v3RefundReply(info.OutRefundNo)
}

// v3RefundQuery is GET /v3/refund/domestic/refunds/{out_refund_no}.
func (s *Server) v3RefundQuery(c *v3call) v3reply {
	return s.v3RefundReply(c.r.PathValue("out_refund_no"))
}

func (s *Server) v3RefundReply(outRefundNo string) v3reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.refunds[outRefundNo]
	if r == nil {
		return v3Fail(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
	}
	o := r.order
	b := v3RefundBody{
		RefundID: r.refundID, OutRefundNo: r.outRefundNo, TransactionID: o.transactionID, OutTradeNo: o.outTradeNo(),
		Channel: "ORIGINAL", UserReceivedAccount: userReceivedAccount, CreateTime: beijingRFC3339(r.created),
		Status: r.status, FundsAccount: "AVAILABLE", PromotionDetail: []any{},
		Amount: v3RefundAmount{
			Total: o.totalFee, Refund: r.fee, From: []any{}, PayerTotal: o.totalFee, PayerRefund: r.fee,
			SettlementRefund: r.fee, SettlementTotal: o.totalFee, Currency: "CNY",
		},
	}
	if r.status == wxpay.RefundSuccess {
		b.SuccessTime = beijingRFC3339(r.endTime)
	}
	return v3reply{status: http.StatusOK, body: b}
}

// v3RefundResource is r's notification resource. Guarded by s.mu.
func (s *Server) v3RefundResource(r *refund) v3RefundResource {
	res := v3RefundResource{
		MchID: s.opts.MchID, OutTradeNo: r.order.outTradeNo(), TransactionID: r.order.transactionID,
		OutRefundNo: r.outRefundNo, RefundID: r.refundID, RefundStatus: r.status,
		UserReceivedAccount: userReceivedAccount,
	}
	if r.status == wxpay.RefundSuccess {
		res.SuccessTime = beijingRFC3339(r.endTime)
	}
	res.Amount.Total, res.Amount.Refund = r.order.totalFee, r.fee
	res.Amount.PayerTotal, res.Amount.PayerRefund = r.order.totalFee, r.fee
	return res
}

var refundSummary = map[string]string{
	wxpay.RefundSuccess:  "退款成功",
	wxpay.RefundAbnormal: "退款异常",
	wxpay.RefundClosed:   "退款关闭",
}

// v3RefundMessage is one attempt of a REFUND.* notification: the event
// named after the refund's status, the resource of kind "refund".
func (s *Server) v3RefundMessage(n *v3Notice, a attemptFaults) outgoing {
	res := *n.refund
	if a.wrongAmount {
		res.Amount.Refund++
		res.Amount.PayerRefund++
	}
	plain, err := json.Marshal(res)
	if err != nil {
		return outgoing{err: err}
	}
	return s.sealV3(n, "refund", "REFUND."+res.RefundStatus, refundSummary[res.RefundStatus], plain, a)
}
