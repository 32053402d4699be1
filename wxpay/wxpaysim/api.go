package wxpaysim

import (
	"maps"
	"net/http"
	"time"

	"wxcheckout/wxpay"
)

// api wraps one endpoint: decode and authenticate, apply any injected
// fault, run the endpoint, then sign and write the reply.
func (s *Server) api(op string, handle func(*call) reply) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, early := s.readCall(r, op)
		if early != nil {
			s.writeReply(w, op, c, *early)
			return
		}
		rep, send := withAPIFault(s, r, op, func() reply { return handle(c) },
			failure(wxpay.CodeSystemError, "系统超时，请使用相同参数再次调用"))
		if !send {
			s.log.Info("wxpaysim api: hung call abandoned", "op", op, "out_trade_no", c.req["out_trade_no"])
			return
		}
		s.writeReply(w, op, c, rep)
	})
}

// withAPIFault runs handle unless a SYSTEMERROR or hang fault is pending
// for op; sysErr is the API's SYSTEMERROR answer. It reports false when no
// reply should be written: the client gave up on a hung call, or the server
// is closing.
func withAPIFault[R any](s *Server, r *http.Request, op string, handle func() R, sysErr R) (R, bool) {
	f, ok := s.takeAPIFault(op)
	if !ok {
		return handle(), true
	}
	if f.Kind == FaultSystemError {
		// Answered before the call takes effect, as when WeChat's backend
		// is down: an identical retry must then succeed. A refund takes
		// effect first (see FaultSystemError), so a retry finds it.
		if f.Apply || op == "refund" {
			_ = handle()
		}
		return sysErr, true
	}
	var rep R
	if f.Apply {
		rep = handle() // takes effect; the reply is what gets lost
	}
	// Real time, not the injected clock: the point is to outlast the
	// client's own (real) timeout.
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return rep, false
	case <-s.ctx.Done():
		return rep, false
	case <-t.C:
	}
	if !f.Apply {
		rep = handle()
	}
	return rep, true
}

// writeReply signs rep with the request's sign type and writes it. Replies
// echo the request's appid and mch_id, as WeChat does.
func (s *Server) writeReply(w http.ResponseWriter, op string, c *call, rep reply) {
	var p wxpay.Params
	if c == nil || rep.returnMsg != "" {
		p = wxpay.Params{"return_code": "FAIL", "return_msg": rep.returnMsg}
	} else {
		p = s.signedReply(c, rep)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(wxpay.Encode(p))

	result := "SUCCESS"
	switch {
	case rep.returnMsg != "":
		result = "return_code=FAIL " + rep.returnMsg
	case rep.errCode != "":
		result = rep.errCode + " " + rep.errDes
	}
	var no, st string
	if c != nil {
		no, st = c.req["out_trade_no"], string(c.signType)
	}
	s.log.Info("wxpaysim api", "op", op, "out_trade_no", no, "sign_type", st, "result", result)
}

func (s *Server) signedReply(c *call, rep reply) wxpay.Params {
	p := maps.Clone(rep.fields)
	if p == nil {
		p = wxpay.Params{}
	}
	p["return_code"], p["return_msg"] = "SUCCESS", "OK"
	p["nonce_str"] = wxpay.NewNonce()
	for _, k := range []string{"appid", "mch_id"} {
		if v := c.req[k]; v != "" {
			p[k] = v
		}
	}
	p["result_code"] = "SUCCESS"
	if rep.errCode != "" {
		p["result_code"], p["err_code"], p["err_code_des"] = "FAIL", rep.errCode, rep.errDes
	}
	if c.signTypeSent {
		p["sign_type"] = string(c.signType)
	}
	p["sign"], _ = wxpay.Sign(p, s.opts.APIKey, c.signType) // signType was parsed: cannot fail
	return p
}

func (s *Server) unifiedOrder(c *call) reply {
	if r := validateUnifiedOrder(c.req, s.now()); r != nil {
		return *r
	}
	if r := s.checkOpenID(c.req); r != nil {
		return *r
	}
	if !s.notifyAllowed(c.req["notify_url"]) {
		return failure(wxpay.CodeInvalidRequest, "notify_url不是本模拟器允许通知的地址（notify_url not allowed by this simulator）")
	}
	return s.placeOrder(c)
}

var tradeStateDesc = map[string]string{
	wxpay.TradeNotPay:  "订单未支付",
	wxpay.TradeSuccess: "支付成功",
	wxpay.TradeClosed:  "订单已关闭",
	wxpay.TradeRefund:  "订单发生过退款",
}

func (s *Server) orderQuery(c *call) reply {
	if !notEmpty(c.req, "out_trade_no") && !notEmpty(c.req, "transaction_id") {
		return *lackParam("out_trade_no或transaction_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookup(c.req)
	if o == nil {
		return failure(wxpay.CodeOrderNotExist, "此交易订单号不存在")
	}
	p := wxpay.Params{
		"trade_state": o.state, "trade_state_desc": tradeStateDesc[o.state],
		"out_trade_no": o.outTradeNo(),
	}
	if d := o.fields["device_info"]; d != "" {
		p["device_info"] = d
	}
	if o.paid() {
		maps.Copy(p, o.paidFields())
	}
	return success(p)
}

func (s *Server) closeOrder(c *call) reply {
	if !notEmpty(c.req, "out_trade_no") {
		return *lackParam("out_trade_no")
	}
	rep, saved := s.closeLocked(c)
	_ = s.persist(saved) // logged; the close stands in memory, as the merchant was told
	return rep
}

func (s *Server) closeLocked(c *call) (reply, *savedOrder) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[c.req["out_trade_no"]]
	switch {
	case o == nil:
		return failure(wxpay.CodeOrderNotExist, "订单不存在"), nil
	case o.paid():
		return failure(wxpay.CodeOrderPaid, "订单已支付，不能发起关单"), nil
	case o.state == wxpay.TradeClosed:
		return failure(wxpay.CodeOrderClosed, "订单已关闭，无法重复关闭"), nil
	case s.opts.MinCloseAge > 0 && now.Sub(o.created) < s.opts.MinCloseAge:
		// WeChat documents the five-minute rule but no err_code for it;
		// closeorder's documented codes are ORDERPAID, ORDERCLOSED,
		// SYSTEMERROR and request errors. SYSTEMERROR ("retry later") is
		// the one a merchant following the documentation already handles
		// correctly, so the simulator uses it with the documented wording.
		return failure(wxpay.CodeSystemError, "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟"), nil
	}
	o.state = wxpay.TradeClosed
	return success(wxpay.Params{"result_msg": "OK"}), s.changed(o)
}
