package wxpaysim

import (
	"cmp"
	"crypto/rand"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"time"

	"wxcheckout/wxpay"
)

// codeURLLifetime: a Native code_url is payable for two hours, whatever the
// order's time_expire says.
const codeURLLifetime = 2 * time.Hour

// order is one out_trade_no at the simulated WeChat. Guarded by Server.mu.
type order struct {
	fields     wxpay.Params   // business fields as first sent, for the re-entry rule
	signType   wxpay.SignType // of the creating request; notifications use it
	prepayID   string
	codeURL    string
	totalFee   int64
	created    time.Time
	timeExpire time.Time // zero when the request had none

	state         string // wxpay.TradeNotPay, TradeSuccess, TradeClosed or TradeRefund
	transactionID string
	openID        string
	bankType      string
	timeEnd       time.Time
	delivered     bool   // a notification was acknowledged
	v3            bool   // created by API v3: fields carry v3 names, notifications are v3
	tradeType     string // NATIVE, JSAPI, MWEB or APP
	clientIP      string // spbill_create_ip (v3: scene_info.payer_client_ip); H5 binds the mweb_url to it
	mwebPackage   string // the package parameter of an MWEB order's mweb_url

	version     int64     // of the last change, for the StateStore
	attempts    int       // notification attempts made
	lastAttempt time.Time // when the last one was made
	notifyEnded bool      // no more attempts will be made

	refunds []*refund // oldest first; also in Server.refunds
}

// OrderInfo is an order as the simulator sees it, for tests and
// /control/orders.
type OrderInfo struct {
	OutTradeNo    string    `json:"out_trade_no"`
	TradeState    string    `json:"trade_state"` // NOTPAY, SUCCESS, CLOSED or REFUND
	TotalFee      int64     `json:"total_fee"`
	Body          string    `json:"body"`
	NotifyURL     string    `json:"notify_url"`
	PrepayID      string    `json:"prepay_id"`
	CodeURL       string    `json:"code_url"`
	Created       time.Time `json:"created"`
	TransactionID string    `json:"transaction_id,omitempty"`
	TimeEnd       string    `json:"time_end,omitempty"` // yyyyMMddHHmmss, Beijing time
	Delivered     bool      `json:"delivered"`          // the merchant acknowledged a notification
	APIVersion    string    `json:"api_version"`        // v2 or v3: the API that created it
	TradeType     string    `json:"trade_type"`         // NATIVE, JSAPI, MWEB or APP
	AppID         string    `json:"appid"`              // the app it was placed for
	OpenID        string    `json:"openid,omitempty"`   // the payer (JSAPI: from the start)
	Detail        string    `json:"detail,omitempty"`   // the detail as sent (v3: compacted JSON)
	Goods         []Goods   `json:"goods,omitempty"`    // what the detail lists
}

func (o *order) outTradeNo() string { return o.fields["out_trade_no"] }

// payer is who paid, or for JSAPI who is to pay.
func (o *order) payer() string { return cmp.Or(o.openID, o.fields["openid"]) }

// body is what the shopper is told they buy: v2's body, v3's description.
func (o *order) body() string {
	if o.v3 {
		return o.fields["description"]
	}
	return o.fields["body"]
}

func (o *order) apiVersion() string {
	if o.v3 {
		return "v3"
	}
	return "v2"
}

func (o *order) info() OrderInfo {
	i := OrderInfo{
		OutTradeNo: o.outTradeNo(), TradeState: o.state, TotalFee: o.totalFee,
		Body: o.body(), NotifyURL: o.fields["notify_url"], PrepayID: o.prepayID,
		CodeURL: o.codeURL, Created: o.created, TransactionID: o.transactionID, Delivered: o.delivered,
		APIVersion: o.apiVersion(), TradeType: o.tradeType, AppID: o.fields["appid"], OpenID: o.payer(),
		Detail: o.fields["detail"], Goods: o.goods(),
	}
	if o.tradeType != wxpay.TradeNative {
		i.CodeURL = "" // only Native orders have one to show; the key stays internal
	}
	if !o.timeEnd.IsZero() {
		i.TimeEnd = wxpay.FormatTime(o.timeEnd)
	}
	return i
}

// Orders lists every order, oldest first.
func (s *Server) Orders() []OrderInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OrderInfo, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, o.info())
	}
	slices.SortFunc(out, func(a, b OrderInfo) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.OutTradeNo, b.OutTradeNo)
	})
	return out
}

// Order returns one order by out_trade_no.
func (s *Server) Order(outTradeNo string) (OrderInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return OrderInfo{}, false
	}
	return o.info(), true
}

// notBusiness are the fields a re-entry may change: a retry after a timeout
// signs anew, may switch algorithm, and may leave from another server.
var notBusiness = []string{"sign", "nonce_str", "sign_type", "spbill_create_ip"}

func businessFields(p wxpay.Params) wxpay.Params {
	b := maps.Clone(p)
	for _, k := range notBusiness {
		delete(b, k)
	}
	return b
}

// placeOrder creates the order or answers a re-entry. The request is valid.
// A new order is saved before it is answered: one the StateStore could not
// take is undone and refused with SYSTEMERROR, for the merchant to retry.
func (s *Server) placeOrder(c *call) reply {
	biz := businessFields(c.req)
	fee, _ := biz.Int64("total_fee")
	o := s.newOrder(biz, fee)
	o.signType = c.signType
	o.tradeType, o.clientIP = biz["trade_type"], c.req["spbill_create_ip"]
	if te := biz["time_expire"]; te != "" {
		o.timeExpire, _ = wxpay.ParseTime(te) // validated already
	}
	a := s.admit(o)
	switch {
	case a.existing == nil && a.full:
		return failure(wxpay.CodeSystemError, "系统繁忙，模拟器订单已满，请稍后再试")
	case a.existing == nil && !a.saved:
		return failure(wxpay.CodeSystemError, "系统超时，请使用相同参数再次调用")
	case a.existing == nil:
		return success(s.prepayReply(o))
	case a.existing.paid():
		return failure(wxpay.CodeOrderPaid, "该订单已支付")
	case a.existing.state == wxpay.TradeClosed:
		return failure(wxpay.CodeOrderClosed, "该订单已关闭")
	case !a.same:
		return failure(wxpay.CodeInvalidRequest, "201 商户订单号重复")
	}
	return success(s.prepayReply(a.existing))
}

// newOrder is a NOTPAY order of business fields biz, created now.
func (s *Server) newOrder(biz wxpay.Params, totalFee int64) *order {
	now := s.now()
	return &order{
		fields: biz, totalFee: totalFee, created: now, state: wxpay.TradeNotPay, tradeType: wxpay.TradeNative,
		prepayID: "wx" + wxpay.FormatTime(now) + randomAlnum(22),
		// Every order has a code_url as its key for the phone page; only
		// Native orders' are ever given out.
		codeURL:     "weixin://wxpay/bizpayurl?pr=" + randomAlnum(11),
		mwebPackage: randomDigits(10),
	}
}

// admission is what admit did with a new order.
type admission struct {
	// existing is a copy of the order already holding the out_trade_no
	// (nothing was created), nil when o was created or refused for lack
	// of room.
	existing *order
	same     bool // existing has o's business fields and API version
	full     bool // no room: nothing was created
	saved    bool // o was created and the StateStore took it
}

// admit adds o unless its out_trade_no is taken, v2 and v3 alike: one set
// of orders, as at WeChat. A new order is saved before it is answered; one
// the StateStore could not take is undone.
func (s *Server) admit(o *order) admission {
	a, saved, evicted := s.admitLocked(o)
	s.forgetSaved(evicted)
	if a.existing != nil || a.full {
		return a
	}
	if err := s.persist(saved); err != nil {
		s.unplace(o, saved.Version)
		return a
	}
	a.saved = true
	return a
}

func (s *Server) admitLocked(o *order) (a admission, saved *savedOrder, evicted []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.orders[o.outTradeNo()]; ok {
		cp := *old
		return admission{existing: &cp, same: old.v3 == o.v3 && maps.Equal(old.fields, o.fields)}, nil, nil
	}
	evicted, ok := s.makeRoom(o.created)
	if !ok {
		s.log.Warn("wxpaysim full: no finished order to evict", "max_orders", s.opts.MaxOrders)
		return admission{full: true}, nil, evicted
	}
	s.orders[o.outTradeNo()] = o
	s.byCode[o.codeURL] = o
	s.byPrepay[o.prepayID] = o
	s.created = append(s.created, o)
	return admission{}, s.changed(o), evicted
}

// unplace removes a new order whose save failed, unless it changed since.
func (s *Server) unplace(o *order, version int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orders[o.outTradeNo()] != o || o.version != version {
		return
	}
	s.forget(o)
	s.created = slices.DeleteFunc(s.created, func(x *order) bool { return x == o })
}

// prepayReply is unifiedorder's answer for o: every trade type gets the
// prepay_id, Native its code_url, MWEB its mweb_url.
func (s *Server) prepayReply(o *order) wxpay.Params {
	p := wxpay.Params{"trade_type": o.tradeType, "prepay_id": o.prepayID}
	switch o.tradeType {
	case wxpay.TradeNative:
		p["code_url"] = o.codeURL
	case wxpay.TradeMWEB:
		p["mweb_url"] = s.mwebURL(o)
	}
	if d := o.fields["device_info"]; d != "" {
		p["device_info"] = d
	}
	return p
}

// lookup finds the order a query or close names: out_trade_no first, as
// WeChat does when both are sent.
func (s *Server) lookup(req wxpay.Params) *order {
	if no := req["out_trade_no"]; no != "" {
		return s.orders[no]
	}
	return s.byTxn[req["transaction_id"]]
}

// payable reports why o cannot be paid now, or nil. Guarded by s.mu.
func (o *order) payable(now time.Time) error {
	switch {
	case o.paid():
		return ErrOrderPaid
	case o.state == wxpay.TradeClosed:
		return ErrOrderClosed
	case !now.Before(o.created.Add(codeURLLifetime)):
		return ErrCodeExpired
	case !o.timeExpire.IsZero() && !now.Before(o.timeExpire):
		return ErrOrderExpired
	}
	return nil
}

// markPaid moves o to SUCCESS and returns the notification to send.
// Guarded by s.mu.
func (s *Server) markPaid(o *order, now time.Time, user string) notice {
	o.state = wxpay.TradeSuccess
	o.transactionID = newTransactionID(now)
	o.openID = o.fields["openid"] // JSAPI: the user the order was placed for
	if o.openID == "" {
		o.openID = s.OpenID(s.orderAppID(o), user)
	}
	o.bankType = "OTHERS" // WeChat's code for change (零钱) and unlisted banks
	o.timeEnd = now
	s.byTxn[o.transactionID] = o
	return s.notification(o)
}

// newTransactionID makes a 28-digit id shaped like WeChat's:
// 4200 + 6 digits + yyyyMMdd + 10 digits.
func newTransactionID(now time.Time) string {
	return "4200" + randomDigits(6) + now.In(wxpay.Beijing()).Format("20060102") + randomDigits(10)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = '0' + byte(d.Int64())
	}
	return string(b)
}

// randomAlnum returns n characters of [0-9A-Za-z], n ≤ 32.
func randomAlnum(n int) string { return wxpay.NewNonce()[:n] }

// paidFields are the payment fields orderquery adds once an order is paid.
func (o *order) paidFields() wxpay.Params {
	p := wxpay.Params{
		"openid": o.openID, "is_subscribe": "N", "trade_type": o.tradeType, "bank_type": o.bankType,
		"total_fee": strconv.FormatInt(o.totalFee, 10), "cash_fee": strconv.FormatInt(o.totalFee, 10),
		"fee_type": "CNY", "transaction_id": o.transactionID, "time_end": wxpay.FormatTime(o.timeEnd),
	}
	if a := o.fields["attach"]; a != "" {
		p["attach"] = a
	}
	return p
}
