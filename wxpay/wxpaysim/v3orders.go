package wxpaysim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"wxcheckout/wxpay"
)

// nativeRequest is the body of POST /v3/pay/transactions/native (and, with
// payer and scene_info, of jsapi, h5 and app). Pointers tell a missing
// field from an empty one only where WeChat does.
type nativeRequest struct {
	AppID       string `json:"appid"`
	MchID       string `json:"mchid"`
	Description string `json:"description"`
	OutTradeNo  string `json:"out_trade_no"`
	TimeExpire  string `json:"time_expire"`
	Attach      string `json:"attach"`
	NotifyURL   string `json:"notify_url"`
	Amount      *struct {
		Total    *int64 `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Payer     *v3Payer     `json:"payer"`
	SceneInfo *v3SceneInfo `json:"scene_info"`
	// Detail is the goods (cost_price, goods_detail), checked by v3Detail.
	Detail json.RawMessage `json:"detail"`
}

// v3Time is WeChat's yyyy-MM-DDTHH:mm:ss+TIMEZONE: RFC 3339 with a numeric
// offset and no fraction of a second.
var v3Time = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$`)

// required is WeChat's wording for a missing field: the JSON pointer and
// the field's name in the documentation.
func required(pointer, name string) v3reply {
	return v3ParamError("输入源“/body/" + pointer + "”映射到值字段“" + name + "”必填性规则校验失败，此字段为必填项")
}

// validateNative applies WeChat's rules to a Native order, in the order
// WeChat reports them: the body's shape, required fields, the merchant,
// then each field's format.
func (s *Server) validateNative(c *v3call, now time.Time) (*nativeRequest, *v3reply) {
	var req nativeRequest
	fail := func(r v3reply) (*nativeRequest, *v3reply) { return nil, &r }
	if err := decodeV3Body(c.body, &req); err != nil {
		return fail(v3ParamError("请求体JSON格式错误（invalid JSON body: " + err.Error() + "）"))
	}
	switch {
	case req.AppID == "":
		return fail(required("appid", "应用ID"))
	case req.MchID == "":
		return fail(required("mchid", "直连商户号"))
	case req.Description == "":
		return fail(required("description", "商品描述"))
	case req.OutTradeNo == "":
		return fail(required("out_trade_no", "商户订单号"))
	case req.NotifyURL == "":
		return fail(required("notify_url", "通知地址"))
	case req.Amount == nil:
		return fail(required("amount", "订单金额"))
	case req.Amount.Total == nil:
		return fail(required("amount/total", "总金额"))
	case req.MchID != c.auth.MchID:
		return fail(v3ParamError("请求体中的mchid与Authorization中的商户号不一致"))
	case !s.merchantApp(req.AppID):
		return fail(v3Fail(http.StatusBadRequest, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配"))
	case !wxpay.ValidOutTradeNo(req.OutTradeNo):
		return fail(v3ParamError("out_trade_no格式错误，须为6-32位数字、大小写字母或_-|*"))
	case len(req.Description) > 127:
		return fail(v3ParamError("description长度有误，不能超过127个字节"))
	case len(req.Attach) > 128:
		return fail(v3ParamError("attach长度有误，不能超过128个字节"))
	case wxpay.ValidNotifyURL(req.NotifyURL) != nil:
		return fail(v3ParamError("notify_url格式错误，须为不超过256字节、不带参数的绝对URL"))
	case *req.Amount.Total <= 0:
		return fail(v3ParamError("amount.total须为正整数，单位为分"))
	case req.Amount.Currency != "" && req.Amount.Currency != "CNY":
		return fail(v3ParamError("amount.currency只支持CNY"))
	}
	if req.TimeExpire != "" {
		t, err := time.Parse(time.RFC3339, req.TimeExpire)
		switch {
		case err != nil || !v3Time.MatchString(req.TimeExpire):
			return fail(v3ParamError("time_expire格式错误，须为yyyy-MM-DDTHH:mm:ss+TIMEZONE，如2018-06-08T10:34:56+08:00"))
		case t.Sub(now) < time.Minute:
			return fail(v3ParamError("time_expire时间过短，刷卡至少1分钟，其他5分钟"))
		}
	}
	if _, bad := v3Detail(req.Detail); bad != nil {
		return fail(*bad)
	}
	return &req, nil
}

// v3Native is POST /v3/pay/transactions/native.
func (s *Server) v3Native(c *v3call) v3reply { return s.v3Place(c, wxpay.TradeNative) }

// v3Place places an order of tradeType: /native, /jsapi, /h5 or /app.
func (s *Server) v3Place(c *v3call, tradeType string) v3reply {
	req, bad := s.validateNative(c, s.now())
	if bad == nil {
		bad = s.validateDevice(req, tradeType)
	}
	if bad != nil {
		return *bad
	}
	if !s.notifyAllowed(req.NotifyURL) {
		return v3ParamError("notify_url不是本模拟器允许通知的地址（notify_url not allowed by this simulator）")
	}
	biz := wxpay.Params{
		"appid": req.AppID, "mchid": req.MchID, "description": req.Description, "out_trade_no": req.OutTradeNo,
		"notify_url": req.NotifyURL, "total": strconv.FormatInt(*req.Amount.Total, 10), "currency": "CNY",
	}
	if req.TimeExpire != "" {
		biz["time_expire"] = req.TimeExpire
	}
	if req.Attach != "" {
		biz["attach"] = req.Attach
	}
	if d, _ := v3Detail(req.Detail); d != "" {
		biz["detail"] = d // compacted: a re-entry compares it as sent
	}
	if tradeType == wxpay.TradeJSAPI {
		biz["openid"] = req.Payer.OpenID
	}
	o := s.newOrder(biz, *req.Amount.Total)
	o.v3, o.tradeType = true, tradeType
	if req.SceneInfo != nil {
		o.clientIP = req.SceneInfo.PayerClientIP
	}
	if req.TimeExpire != "" {
		o.timeExpire, _ = time.Parse(time.RFC3339, req.TimeExpire) // validated already
	}
	a := s.admit(o)
	switch {
	case a.existing == nil && (a.full || !a.saved):
		return v3Fail(http.StatusInternalServerError, "SYSTEM_ERROR", "系统繁忙，请使用相同参数稍后重新调用")
	case a.existing == nil:
		return v3reply{status: http.StatusOK, body: s.v3PrepayReply(o)}
	case a.existing.paid():
		return v3Fail(http.StatusBadRequest, "ORDERPAID", "该订单已支付")
	case a.existing.state == wxpay.TradeClosed:
		return v3Fail(http.StatusBadRequest, "ORDER_CLOSED", "该订单已关闭")
	case !a.same || a.existing.tradeType != tradeType:
		// WeChat's v3 answer to an out_trade_no reused with other fields
		// carries v2's wording, as merchants report it.
		return v3Fail(http.StatusBadRequest, "INVALID_REQUEST", "201 商户订单号重复")
	}
	return v3reply{status: http.StatusOK, body: s.v3PrepayReply(a.existing)}
}

// v3Transaction is a v3 order as the query answers it and as the resource
// of a TRANSACTION.SUCCESS notification.
type v3Transaction struct {
	AppID          string    `json:"appid"`
	MchID          string    `json:"mchid"`
	OutTradeNo     string    `json:"out_trade_no"`
	TransactionID  string    `json:"transaction_id,omitempty"`
	TradeType      string    `json:"trade_type,omitempty"`
	TradeState     string    `json:"trade_state"`
	TradeStateDesc string    `json:"trade_state_desc"`
	BankType       string    `json:"bank_type,omitempty"`
	Attach         string    `json:"attach"`
	SuccessTime    string    `json:"success_time,omitempty"`
	Payer          *v3Payer  `json:"payer,omitempty"`
	Amount         *v3Amount `json:"amount,omitempty"`
}

type v3Payer struct {
	OpenID string `json:"openid"`
}

type v3Amount struct {
	Total         int64  `json:"total"`
	PayerTotal    *int64 `json:"payer_total,omitempty"`
	Currency      string `json:"currency"`
	PayerCurrency string `json:"payer_currency"`
}

// transaction describes o, v2 or v3 alike: the two APIs see one set of
// orders. Payment fields only once paid. Guarded by s.mu.
func (s *Server) transaction(o *order) v3Transaction {
	t := v3Transaction{
		AppID: s.orderAppID(o), MchID: s.opts.MchID, OutTradeNo: o.outTradeNo(), TradeState: o.state,
		TradeStateDesc: tradeStateDesc[o.state], Attach: o.fields["attach"],
		Amount: &v3Amount{Total: o.totalFee, Currency: "CNY", PayerCurrency: "CNY"},
	}
	if o.paid() {
		paid := o.totalFee
		t.TransactionID, t.TradeType, t.BankType = o.transactionID, o.tradeType, o.bankType
		t.SuccessTime = beijingRFC3339(o.timeEnd)
		t.Payer = &v3Payer{OpenID: o.openID}
		t.Amount.PayerTotal = &paid
	}
	return t
}

// v3Query is GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=….
func (s *Server) v3Query(c *v3call) v3reply {
	switch mch := c.r.URL.Query().Get("mchid"); {
	case mch == "":
		return v3ParamError("输入源“/query/mchid”映射到值字段“直连商户号”必填性规则校验失败，此字段为必填项")
	case mch != c.auth.MchID:
		return v3ParamError("查询参数mchid与Authorization中的商户号不一致")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[c.r.PathValue("out_trade_no")]
	if o == nil {
		return v3Fail(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
	}
	return v3reply{status: http.StatusOK, body: s.transaction(o)}
}

// v3Close is POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close.
// v3 has no minimum age (v2's five minutes), and closing a closed order
// again is answered 204 like the first close.
func (s *Server) v3Close(c *v3call) v3reply {
	var req struct {
		MchID string `json:"mchid"`
	}
	switch err := decodeV3Body(c.body, &req); {
	case err != nil:
		return v3ParamError("请求体JSON格式错误（invalid JSON body: " + err.Error() + "）")
	case req.MchID == "":
		return required("mchid", "直连商户号")
	case req.MchID != c.auth.MchID:
		return v3ParamError("请求体中的mchid与Authorization中的商户号不一致")
	}
	rep, saved := s.v3CloseLocked(c.r.PathValue("out_trade_no"))
	_ = s.persist(saved) // logged; the close stands in memory, as the merchant was told
	return rep
}

func (s *Server) v3CloseLocked(no string) (v3reply, *savedOrder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[no]
	switch {
	case o == nil:
		return v3Fail(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在"), nil
	case o.paid():
		return v3Fail(http.StatusBadRequest, "ORDERPAID", "订单已支付，不能发起关单"), nil
	case o.state == wxpay.TradeClosed:
		return v3reply{status: http.StatusNoContent}, nil
	}
	o.state = wxpay.TradeClosed
	return v3reply{status: http.StatusNoContent}, s.changed(o)
}
