package seed

import (
	"fmt"
	"strconv"
	"time"

	"wxcheckout/models"
	"wxcheckout/wxpay"
	"wxcheckout/wxpay/wxpaysim"
)

// The timeline entries of WeChat calls hold the XML as sent and received,
// the same fields the checkout sends and the simulator answers, with a
// random signature (nobody verifies a stored body).

const hex = "0123456789ABCDEF"

func (g *gen) base() wxpay.Params {
	return wxpay.Params{"appid": wxpaysim.DemoAppID, "mch_id": wxpaysim.DemoMchID, "nonce_str": g.str(32, letters),
		"sign": g.str(64, hex)}
}

func (g *gen) reply(p wxpay.Params) wxpay.Params {
	p["return_code"], p["return_msg"], p["result_code"] = "SUCCESS", "OK", "SUCCESS"
	return p
}

func (g *gen) exchange(kind, summary, actor string, at time.Time, req, resp wxpay.Params) models.OrderEvent {
	return models.OrderEvent{Kind: kind, OK: true, Actor: actor, CreatedAt: at, Summary: summary,
		Request: string(wxpay.Encode(req)), Response: string(wxpay.Encode(resp))}
}

func (g *gen) unifiedOrder(o *models.Order, at time.Time) models.OrderEvent {
	req := g.base()
	req["body"], req["detail"], req["out_trade_no"] = o.Body, o.Detail, o.OutTradeNo
	req["total_fee"], req["spbill_create_ip"] = strconv.FormatInt(int64(o.TotalFee), 10), o.ClientIP
	req["notify_url"], req["trade_type"], req["product_id"] = "https://shop.example.com/wxpay/notify", "NATIVE", o.SKU
	req["time_start"], req["time_expire"], req["sign_type"] = bj(at), bj(o.ExpiresAt), "HMAC-SHA256"
	resp := g.reply(g.base())
	resp["prepay_id"], resp["trade_type"], resp["code_url"] = o.PrepayID, "NATIVE", o.CodeURL
	return g.exchange(models.EventUnifiedOrder, "SUCCESS", "shopper", at, req, resp)
}

func (g *gen) paidFields(p wxpay.Params, o *models.Order) wxpay.Params {
	fee := strconv.FormatInt(int64(o.TotalFee), 10)
	p["openid"], p["is_subscribe"], p["trade_type"], p["bank_type"] = o.OpenID, "N", "NATIVE", o.BankType
	p["total_fee"], p["cash_fee"], p["fee_type"], p["out_trade_no"] = fee, fee, "CNY", o.OutTradeNo
	p["transaction_id"], p["time_end"] = o.TransactionID, bj(*o.PaidAt)
	return p
}

func (g *gen) notify(o *models.Order, at time.Time) models.OrderEvent {
	req := g.paidFields(g.reply(g.base()), o)
	return models.OrderEvent{Kind: models.EventNotify, OK: true, Actor: "wechat", CreatedAt: at, OutTradeNo: o.OutTradeNo,
		Summary:  fmt.Sprintf("verified; paid ¥%s, transaction %s", o.TotalFee.Yuan(), o.TransactionID),
		Request:  string(wxpay.Encode(req)),
		Response: "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"}
}

func (g *gen) query(o *models.Order, at time.Time, state string) models.OrderEvent {
	req := g.base()
	req["out_trade_no"], req["sign_type"] = o.OutTradeNo, "HMAC-SHA256"
	resp := g.reply(g.base())
	resp["out_trade_no"], resp["trade_state"] = o.OutTradeNo, state
	if state == "SUCCESS" {
		resp = g.paidFields(resp, o)
		resp["trade_state_desc"] = "支付成功"
	} else {
		resp["trade_state_desc"] = "订单未支付"
	}
	return g.exchange(models.EventQuery, "trade_state="+state, "reconciler", at, req, resp)
}

func (g *gen) closeOrder(o *models.Order, at time.Time) models.OrderEvent {
	req := g.base()
	req["out_trade_no"], req["sign_type"] = o.OutTradeNo, "HMAC-SHA256"
	return g.exchange(models.EventClose, "SUCCESS", "reconciler", at, req, g.reply(g.base()))
}

func (g *gen) refundRequest(o *models.Order, no string, amount models.Money) string {
	req := g.base()
	req["out_trade_no"], req["out_refund_no"], req["sign_type"] = o.OutTradeNo, no, "HMAC-SHA256"
	req["total_fee"], req["refund_fee"] = strconv.FormatInt(int64(o.TotalFee), 10), strconv.FormatInt(int64(amount), 10)
	req["refund_desc"] = "buyer asked"
	return string(wxpay.Encode(req))
}
