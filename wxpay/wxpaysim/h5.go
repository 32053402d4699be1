package wxpaysim

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"wxcheckout/wxpay"
)

// mwebLifetime: an mweb_url opens the cashier for five minutes after the
// unifiedorder that made it.
const mwebLifetime = 5 * time.Minute

// mwebURL is the H5 cashier of o.
func (s *Server) mwebURL(o *order) string {
	return s.opts.PublicBase + "/checkmweb?prepay_id=" + url.QueryEscape(o.prepayID) + "&package=" + o.mwebPackage
}

// h5Refusal is why the cashier will not open, in WeChat's words.
type h5Refusal struct {
	status int
	zh, en string
}

func (e *h5Refusal) Error() string { return "wxpaysim: h5: " + e.en }

var (
	errH5BadParams = &h5Refusal{http.StatusForbidden, "商家参数格式有误，请联系商家解决", "unknown prepay_id, not an MWEB order, or wrong package"}
	errH5Expired   = &h5Refusal{http.StatusGone, "网页已过期，请返回商家页面重新发起支付", "mweb_url expired: it is valid 5 minutes after unifiedorder"}
	errH5OtherIP   = &h5Refusal{http.StatusForbidden, "网络环境未能通过安全验证，请稍后再试", "the browser's IP is not the order's spbill_create_ip"}
	errH5Redirect  = &h5Refusal{http.StatusBadRequest, "redirect_url参数错误", "redirect_url must be an absolute http(s) URL"}
)

// h5Check refuses what WeChat's cashier refuses. Guarded by s.mu.
func (s *Server) h5Check(o *order, pkg string, r *http.Request, now time.Time) error {
	switch {
	case o.tradeType != wxpay.TradeMWEB || pkg != o.mwebPackage:
		return errH5BadParams
	case now.Sub(o.created) >= mwebLifetime:
		return errH5Expired
	case !s.sameClient(r, o.clientIP):
		return errH5OtherIP
	}
	return nil
}

// h5Form is the cashier's parameters, from the query or the form.
type h5Form struct{ prepayID, pkg, redirect string }

func readH5(get func(string) string) (h5Form, error) {
	f := h5Form{prepayID: get("prepay_id"), pkg: get("package"), redirect: get("redirect_url")}
	if f.redirect != "" && !absoluteHTTP(f.redirect) {
		return f, errH5Redirect
	}
	return f, nil
}

// cashierPage is GET /checkmweb: the H5 cashier a mobile browser opens.
func (s *Server) cashierPage(w http.ResponseWriter, r *http.Request) {
	f, err := readH5(r.URL.Query().Get)
	if err == nil {
		var v pageView
		if v, err = s.cashierView(f, r); err == nil {
			s.renderPage(w, http.StatusOK, "cashier", v)
			return
		}
	}
	s.refuseH5(w, err)
}

func (s *Server) cashierView(f h5Form, r *http.Request) (pageView, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byPrepay[f.prepayID]
	if o == nil {
		return pageView{}, errH5BadParams
	}
	if err := s.h5Check(o, f.pkg, r, now); err != nil {
		return pageView{}, err
	}
	if err := o.payable(now); err != nil {
		return pageView{}, err
	}
	return pageView{
		Title: "微信支付", Header: "微信支付", HeaderEN: "WeChat Pay", Action: s.opts.BasePath + "/checkmweb",
		Merchant: s.opts.MerchantName, MchID: s.opts.MchID, Amount: yuan(o.totalFee), Body: o.body(),
		PrepayID: f.prepayID, Package: f.pkg, RedirectURL: f.redirect,
	}, nil
}

// cashierSubmit is 支付 or 取消 in the cashier. Paying takes the phone
// page's path, as the user "h5-user"; both return to redirect_url when
// there is one.
func (s *Server) cashierSubmit(w http.ResponseWriter, r *http.Request) {
	f, err := readH5(r.PostFormValue)
	if err != nil {
		s.refuseH5(w, err)
		return
	}
	switch r.PostFormValue("action") {
	case "pay":
		now := s.now()
		_, err = s.payAs(func() *order { return s.byPrepay[f.prepayID] }, h5User,
			func(o *order) error { return s.h5Check(o, f.pkg, r, now) })
		if errors.Is(err, ErrUnknownCode) {
			err = errH5BadParams
		}
		if err != nil {
			s.refuseH5(w, err)
			return
		}
		s.h5Done(w, r, f.redirect, "paid", "支付成功", "Payment successful")
	case "cancel":
		s.h5Done(w, r, f.redirect, "cancelled", "已取消支付", "Payment cancelled — the order stays unpaid")
	default:
		http.Error(w, "action must be pay or cancel", http.StatusBadRequest)
	}
}

func (s *Server) h5Done(w http.ResponseWriter, r *http.Request, redirect, result, zh, en string) {
	if redirect != "" {
		http.Redirect(w, r, redirect, http.StatusFound)
		return
	}
	v := refusalPage(zh, zh, en)
	v.Header, v.HeaderEN, v.Done, v.Result = "微信支付", "WeChat Pay", true, result
	s.renderPage(w, http.StatusOK, "notice", v)
}

// refuseH5 shows why the cashier refused.
func (s *Server) refuseH5(w http.ResponseWriter, err error) {
	var h *h5Refusal
	if errors.As(err, &h) {
		s.renderPage(w, h.status, "notice", refusalPage("微信支付", h.zh, h.en))
		return
	}
	status := http.StatusConflict
	if errors.Is(err, ErrUnknownCode) {
		status = http.StatusNotFound
	}
	s.renderPage(w, status, "notice", refusalPage("微信支付", Refusal(err), err.Error()))
}
