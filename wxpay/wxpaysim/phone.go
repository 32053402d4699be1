package wxpaysim

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"wxcheckout/wxpay"
)

//go:embed phone.html
var phoneHTML string

var phoneTmpl = template.Must(template.New("phone").Parse(phoneHTML))

// phoneView is what the phone page shows.
type phoneView struct {
	Action    string // the form's target: BasePath + /scan
	Merchant  string
	MchID     string
	CodeURL   string
	Order     *orderView // nil: no order to show, ask for a code_url
	CanPay    bool
	Paid      bool
	Cancelled bool
	Refusal   string // the WeChat app's message
	RefusalEN string
}

type orderView struct {
	Body, Amount, OutTradeNo, Expires, TransactionID, TimeEnd string
	Goods                                                     []goodsView // the detail's lines, when sent
}

// goodsView is one line of the goods the shopper pays for.
type goodsView struct {
	Name     string
	Quantity int64
	Price    string // yuan per piece
}

// yuan renders fen as yuan with two decimals.
func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }

const pageTime = "2006-01-02 15:04:05"

// Pay plays the shopper paying the order behind codeURL: the order becomes
// SUCCESS and its notification is sent. The errors are ErrUnknownCode,
// ErrCodeExpired, ErrOrderExpired, ErrOrderClosed, ErrOrderPaid and
// ErrClosed; Refusal turns them into the WeChat app's words.
func (s *Server) Pay(codeURL string) error {
	_, err := s.pay(func() *order { return s.byCode[codeURL] })
	return err
}

// PayOutTradeNo is Pay for the order with this out_trade_no.
func (s *Server) PayOutTradeNo(outTradeNo string) error {
	_, err := s.pay(func() *order { return s.orders[outTradeNo] })
	return err
}

// pay marks the order find returns as paid and starts its notification.
// find runs under s.mu.
func (s *Server) pay(find func() *order) (OrderInfo, error) {
	return s.payAs(find, scanUser, nil)
}

// payAs is pay by the simulated user named user (unless the order names
// its payer, as JSAPI orders do), after check, when not nil, accepts the
// order: the one code path of every device. check runs under s.mu.
func (s *Server) payAs(find func() *order, user string, check func(*order) error) (OrderInfo, error) {
	now := s.now()
	s.mu.Lock()
	o := find()
	var err error
	switch {
	case s.closed:
		err = ErrClosed
	case o == nil:
		err = ErrUnknownCode
	case check != nil:
		err = check(o)
	}
	if err == nil {
		err = o.payable(now)
	}
	if err != nil {
		s.mu.Unlock()
		return OrderInfo{}, err
	}
	n := s.markPaid(o, now, user)
	plan, batch := s.planDelivery()
	if plan.dropAll {
		o.notifyEnded = true // kept across a restart: this payment is never notified
	}
	saved := s.changed(o)
	info := o.info()
	s.mu.Unlock()
	// Saved before the notification starts, so that a restart finds the
	// payment and resumes its notification.
	_ = s.persist(saved) // logged; the payment stands
	s.log.Info("wxpaysim paid", "out_trade_no", info.OutTradeNo, "transaction_id", info.TransactionID,
		"total_fee", info.TotalFee)
	// Closed in between: the payment stands, its notification is abandoned
	// like every other one at Close.
	_ = s.goTracked(func() { s.deliver(n, plan) })
	if batch != nil {
		_ = s.goTracked(func() { s.releaseReversed(batch) })
	}
	return info, nil
}

// view builds the page for the order behind codeURL, as of now.
func (s *Server) view(codeURL string) phoneView {
	v := phoneView{Action: s.opts.BasePath + "/scan", Merchant: s.opts.MerchantName, MchID: s.opts.MchID, CodeURL: codeURL}
	if codeURL == "" {
		return v
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byCode[codeURL]
	if o == nil {
		v.refuse(ErrUnknownCode)
		return v
	}
	expires := o.created.Add(codeURLLifetime)
	if !o.timeExpire.IsZero() && o.timeExpire.Before(expires) {
		expires = o.timeExpire
	}
	v.Order = &orderView{
		Body: o.body(), Amount: yuan(o.totalFee), OutTradeNo: o.outTradeNo(),
		Expires: expires.In(wxpay.Beijing()).Format(pageTime), TransactionID: o.transactionID,
	}
	for _, g := range o.goods() {
		v.Order.Goods = append(v.Order.Goods, goodsView{Name: cmp.Or(g.Name, g.ID), Quantity: g.Quantity, Price: yuan(g.Price)})
	}
	if !o.timeEnd.IsZero() {
		v.Order.TimeEnd = o.timeEnd.In(wxpay.Beijing()).Format(pageTime)
	}
	if err := o.payable(now); err != nil {
		v.refuse(err)
	} else {
		v.CanPay = true
	}
	return v
}

func (v *phoneView) refuse(err error) {
	v.Refusal, v.RefusalEN, v.CanPay = Refusal(err), err.Error(), false
}

// scanPage is what the phone shows after scanning a code_url.
func (s *Server) scanPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, s.view(r.URL.Query().Get("code_url")))
}

// scanSubmit is the shopper pressing Pay or Cancel.
func (s *Server) scanSubmit(w http.ResponseWriter, r *http.Request) {
	codeURL := r.PostFormValue("code_url")
	switch r.PostFormValue("action") {
	case "pay":
		_, err := s.pay(func() *order { return s.byCode[codeURL] })
		v := s.view(codeURL)
		status := http.StatusOK
		if err != nil {
			// The order may have been paid by this very press on another
			// tab; the refusal names what stopped this one.
			v.refuse(err)
			status = http.StatusConflict
			if errors.Is(err, ErrUnknownCode) {
				status = http.StatusNotFound
			}
		} else {
			v.Paid, v.Refusal, v.RefusalEN = true, "", ""
		}
		s.render(w, status, v)
	case "cancel":
		// Closing WeChat's payment sheet changes nothing at WeChat: the order
		// stays NOTPAY until it is paid, closed or expires.
		s.log.Info("wxpaysim shopper cancelled", "code_url", codeURL)
		v := s.view(codeURL)
		v.Cancelled, v.CanPay = true, false
		s.render(w, http.StatusOK, v)
	default:
		http.Error(w, "action must be pay or cancel", http.StatusBadRequest)
	}
}

// render executes the page into a buffer first, so a template error never
// sends half a page.
func (s *Server) render(w http.ResponseWriter, status int, v phoneView) {
	var buf bytes.Buffer
	if err := phoneTmpl.Execute(&buf, v); err != nil {
		s.log.Error("wxpaysim phone page", "err", err)
		http.Error(w, "页面错误 page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
