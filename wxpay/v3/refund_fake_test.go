package wxpayv3_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// fakeRefund is a refund the fake WeChat keeps: the request that made it
// and its state as replies write it.
type fakeRefund struct {
	outTradeNo    string
	total, refund int64
	state         map[string]any
}

// refundRoute serves POST /v3/refund/domestic/refunds and
// GET /v3/refund/domestic/refunds/{out_refund_no}.
func (f *fakeWeChat) refundRoute(w http.ResponseWriter, r *http.Request, body []byte) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/v3/refund/domestic/refunds")
	switch {
	case r.Method == http.MethodPost && rest == "":
		f.refund(w, body)
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "/") && !strings.Contains(rest[1:], "/"):
		no, _ := url.PathUnescape(rest[1:])
		if rf, ok := f.refunds[no]; ok {
			f.writeJSON(w, http.StatusOK, rf.state)
			return
		}
		f.writeError(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
	default:
		f.writeError(w, http.StatusNotFound, "NOT_FOUND", "no such API")
	}
}

func (f *fakeWeChat) refund(w http.ResponseWriter, body []byte) {
	req, msg := checkRefund(body)
	if msg != "" {
		f.writeError(w, http.StatusBadRequest, "PARAM_ERROR", msg)
		return
	}
	o, ok := f.orders[req.OutTradeNo]
	if !ok {
		f.writeError(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在")
		return
	}
	if o.tx == nil || (o.tx["trade_state"] != "SUCCESS" && o.tx["trade_state"] != "REFUND") {
		f.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "订单未支付")
		return
	}
	if paid, _ := o.body["amount"].(map[string]any)["total"].(json.Number).Int64(); req.Amount.Total != paid {
		f.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "订单金额与实际不符")
		return
	}
	if rf, ok := f.refunds[req.OutRefundNo]; ok {
		// The same out_refund_no again is the same refund, if nothing changed.
		if rf.outTradeNo != req.OutTradeNo || rf.refund != req.Amount.Refund || rf.total != req.Amount.Total {
			f.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "退款单号重复，且请求参数与之前不一致")
			return
		}
		f.writeJSON(w, http.StatusOK, rf.state)
		return
	}
	refunded := int64(0)
	for _, rf := range f.refunds {
		if rf.outTradeNo == req.OutTradeNo && rf.state["status"] != "CLOSED" {
			refunded += rf.refund
		}
	}
	if refunded+req.Amount.Refund > req.Amount.Total {
		f.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
		return
	}
	rf := &fakeRefund{outTradeNo: req.OutTradeNo, total: req.Amount.Total, refund: req.Amount.Refund}
	rf.state = map[string]any{
		"refund_id": fmt.Sprintf("503000000120241123%011d", len(f.refunds)+1), "out_refund_no": req.OutRefundNo,
		"transaction_id": o.tx["transaction_id"], "out_trade_no": req.OutTradeNo, "channel": "ORIGINAL",
		"user_received_account": "支付用户零钱", "create_time": "2024-11-23T16:00:00+08:00", "status": "PROCESSING",
		"funds_account": "AVAILABLE", "promotion_detail": []any{},
		"amount": map[string]any{"total": rf.total, "refund": rf.refund, "payer_total": rf.total, "payer_refund": rf.refund,
			"settlement_total": rf.total, "settlement_refund": rf.refund, "discount_refund": 0, "currency": "CNY",
			"refund_fee": 0, "from": []any{}},
	}
	f.refunds[req.OutRefundNo] = rf
	f.writeJSON(w, http.StatusOK, rf.state)
}

type fakeRefundRequest struct {
	OutTradeNo  string `json:"out_trade_no"`
	OutRefundNo string `json:"out_refund_no"`
	Reason      *string
	NotifyURL   string `json:"notify_url"`
	Amount      struct {
		Refund, Total int64
		Currency      string
	}
}

// checkRefund is the fake's validation of a refund; "" when it is good.
func checkRefund(body []byte) (fakeRefundRequest, string) {
	var req fakeRefundRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	switch {
	case dec.Decode(&req) != nil:
		return req, "body is not a refund"
	case req.OutTradeNo == "" || req.OutRefundNo == "" || req.NotifyURL == "":
		return req, "缺少参数 out_trade_no, out_refund_no 或 notify_url"
	case req.Reason != nil && (*req.Reason == "" || utf8.RuneCountInString(*req.Reason) > 80):
		return req, "reason 无效"
	case req.Amount.Refund <= 0 || req.Amount.Refund > req.Amount.Total || req.Amount.Currency != "CNY":
		return req, "amount 无效"
	}
	return req, ""
}

// finishRefund ends a refund as WeChat would after a while.
func (f *fakeWeChat) finishRefund(no, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.refunds[no].state
	st["status"] = status
	if status == "SUCCESS" {
		st["success_time"] = "2024-11-23T16:00:05+08:00"
	}
}
