package wxpaysim

import (
	"cmp"
	"crypto/rand"
	"errors"
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

	state         string // wxpay.TradeNotPay, TradeSuccess or TradeClosed
	transactionID string
	openID        string
	bankType      string
	timeEnd       time.Time
	delivered     bool // a notification was acknowledged

	version     int64     // of the last change, for the StateStore
	attempts    int       // notification attempts made
	lastAttempt time.Time // when the last one was made
	notifyEnded bool      // no more attempts will be made
}

// OrderInfo is an order as the simulator sees it, for tests and
// /control/orders.
type OrderInfo struct {
	OutTradeNo    string    `json:"out_trade_no"`
	TradeState    string    `json:"trade_state"` // NOTPAY, SUCCESS or CLOSED
	TotalFee      int64     `json:"total_fee"`
	Body          string    `json:"body"`
	NotifyURL     string    `json:"notify_url"`
	PrepayID      string    `json:"prepay_id"`
	CodeURL       string    `json:"code_url"`
	Created       time.Time `json:"created"`
	TransactionID string    `json:"transaction_id,omitempty"`
	TimeEnd       string    `json:"time_end,omitempty"` // yyyyMMddHHmmss, Beijing time
	Delivered     bool      `json:"delivered"`          // the merchant acknowledged a notification
}

func (o *order) outTradeNo() string { return o.fields["out_trade_no"] }

func (o *order) info() OrderInfo {
	i := OrderInfo{
		OutTradeNo: o.outTradeNo(), TradeState: o.state, TotalFee: o.totalFee,
		Body: o.fields["body"], NotifyURL: o.fields["notify_url"], PrepayID: o.prepayID,
		CodeURL: o.codeURL, Created: o.created, TransactionID: o.transactionID, Delivered: o.delivered,
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
	rep, o, saved, evicted := s.placeLocked(c)
	s.forgetSaved(evicted)
	if err := s.persist(saved); err != nil {
		s.unplace(o, saved.Version)
		return failure(wxpay.CodeSystemError, "系统超时，请使用相同参数再次调用")
	}
	return rep
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

// placeLocked is placeOrder's work under s.mu: the reply, and for a new
// order the order, its state to save and the orders evicted for it.
func (s *Server) placeLocked(c *call) (rep reply, o *order, saved *savedOrder, evicted []string) {
	biz := businessFields(c.req)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.orders[biz["out_trade_no"]]; ok {
		switch {
		case o.state == wxpay.TradeSuccess:
			return failure(wxpay.CodeOrderPaid, "该订单已支付"), nil, nil, nil
		case o.state == wxpay.TradeClosed:
			return failure(wxpay.CodeOrderClosed, "该订单已关闭"), nil, nil, nil
		case !maps.Equal(o.fields, biz):
			return failure(wxpay.CodeInvalidRequest, "201 商户订单号重复"), nil, nil, nil
		}
		return success(o.prepayReply()), nil, nil, nil
	}
	evicted, ok := s.makeRoom(now)
	if !ok {
		s.log.Warn("wxpaysim full: no finished order to evict", "max_orders", s.opts.MaxOrders)
		return failure(wxpay.CodeSystemError, "系统繁忙，模拟器订单已满，请稍后再试"), nil, nil, evicted
	}
	fee, _ := biz.Int64("total_fee")
	o = &order{
		fields: biz, signType: c.signType, totalFee: fee, created: now, state: wxpay.TradeNotPay,
		prepayID: "wx" + wxpay.FormatTime(now) + randomAlnum(22),
		codeURL:  "weixin://wxpay/bizpayurl?pr=" + randomAlnum(11),
	}
	if te := biz["time_expire"]; te != "" {
		o.timeExpire, _ = wxpay.ParseTime(te) // validated already
	}
	s.orders[o.outTradeNo()] = o
	s.byCode[o.codeURL] = o
	s.created = append(s.created, o)
	return success(o.prepayReply()), o, s.changed(o), evicted
}

func (o *order) prepayReply() wxpay.Params {
	p := wxpay.Params{"trade_type": "NATIVE", "prepay_id": o.prepayID, "code_url": o.codeURL}
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

// Why the phone refuses to pay; Refusal gives the text the WeChat app shows.
var (
	ErrUnknownCode  = errors.New("wxpaysim: unknown code_url")
	ErrCodeExpired  = errors.New("wxpaysim: code_url expired")
	ErrOrderExpired = errors.New("wxpaysim: order past its time_expire")
	ErrOrderClosed  = errors.New("wxpaysim: order closed")
	ErrOrderPaid    = errors.New("wxpaysim: order already paid")
)

// Refusal returns what the WeChat app shows the shopper for an error of Pay.
func Refusal(err error) string {
	switch {
	case errors.Is(err, ErrCodeExpired):
		return "二维码已过期，请刷新页面后重新扫描"
	case errors.Is(err, ErrOrderExpired):
		return "订单已过期，请重新下单"
	case errors.Is(err, ErrOrderClosed):
		return "订单已关闭"
	case errors.Is(err, ErrOrderPaid):
		return "订单已支付，请勿重复支付"
	case errors.Is(err, ErrUnknownCode):
		return "二维码无效"
	case errors.Is(err, ErrClosed):
		return "系统繁忙，请稍后再试"
	}
	return "支付失败"
}

// payable reports why o cannot be paid now, or nil. Guarded by s.mu.
func (o *order) payable(now time.Time) error {
	switch {
	case o.state == wxpay.TradeSuccess:
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
func (s *Server) markPaid(o *order, now time.Time) notice {
	o.state = wxpay.TradeSuccess
	o.transactionID = newTransactionID(now)
	o.openID = s.openID
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
		"openid": o.openID, "is_subscribe": "N", "trade_type": "NATIVE", "bank_type": o.bankType,
		"total_fee": strconv.FormatInt(o.totalFee, 10), "cash_fee": strconv.FormatInt(o.totalFee, 10),
		"fee_type": "CNY", "transaction_id": o.transactionID, "time_end": wxpay.FormatTime(o.timeEnd),
	}
	if a := o.fields["attach"]; a != "" {
		p["attach"] = a
	}
	return p
}
