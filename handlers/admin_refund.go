package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
	"wxcheckout/gateway"
	"wxcheckout/models"
)

// refundRow is one refund on the admin's order page, times in Beijing time.
type refundRow struct {
	OutRefundNo      string
	MerchantRefundNo string // a gateway merchant's own number, or ""
	RefundID         string
	Yuan             string
	Reason           string
	Status           string
	Created          string
	Succeeded        string
	Actor            string
}

func newRefundRow(r *models.Refund) refundRow {
	row := refundRow{OutRefundNo: r.OutRefundNo, RefundID: r.RefundID, Yuan: r.Amount.Yuan(), Reason: r.Reason,
		Status: string(r.Status), Created: beijingTime(r.CreatedAt), Succeeded: beijingTimePtr(r.SucceededAt), Actor: r.Actor}
	if r.MerchantRefundNo != nil {
		row.MerchantRefundNo = *r.MerchantRefundNo
	}
	return row
}

// refundBlock is the order page's refunds section: shown once the order
// was paid, with the form while something remains refundable.
type refundBlock struct {
	Rows           []refundRow
	RefundedYuan   string
	RefundableYuan string // the form's default amount
	CanRefund      bool
	Abnormal       bool // a refund is stuck at WeChat: the admin must act
}

func (h *Handler) refundSection(ctx context.Context, o *models.Order) (*refundBlock, error) {
	if !o.Status.Paid() {
		return nil, nil
	}
	rs, err := h.opt.Admin.Refunds(ctx, o)
	if err != nil {
		return nil, err
	}
	b := &refundBlock{RefundedYuan: o.RefundedFee.Yuan(), RefundableYuan: o.Refundable().Yuan(),
		CanRefund: o.Refundable() > 0 && o.RefundCount < models.MaxRefunds, Abnormal: o.HasFlag(models.FlagRefundAbnormal)}
	for i := range rs {
		b.Rows = append(b.Rows, newRefundRow(&rs[i]))
	}
	return b, nil
}

// adminRefund is POST /admin/orders/:out_trade_no/refunds: amount in yuan,
// reason, and the confirm box, which the server requires whatever the
// page's script did. A bad amount or a missing confirmation sends nothing.
func (h *Handler) adminRefund(c *gin.Context) {
	no := c.Param("out_trade_no")
	back := "/admin/orders/" + url.PathEscape(no)
	l := h.language(c)
	amount, err := gateway.ParseYuan(strings.TrimSpace(c.PostForm("amount")))
	switch {
	case err != nil:
		h.setFlash(c, flash{Message: l.T("admin_refund_bad_amount")})
		c.Redirect(http.StatusSeeOther, back)
		return
	case c.PostForm("confirm") != "1":
		h.setFlash(c, flash{Message: l.T("admin_refund_confirm_needed")})
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	ref, _, err := h.opt.Admin.Refund(c.Request.Context(), checkout.RefundRequest{OutTradeNo: no, Amount: amount,
		Reason: strings.TrimSpace(c.PostForm("reason")), Actor: adminSession(c).Actor})
	switch {
	case ref == nil && checkout.KindOf(err) == checkout.KindNotFound:
		h.fail(c, err)
		return
	case err != nil && httpStatus(err) == http.StatusInternalServerError:
		h.log.Error("admin refund", "out_trade_no", no, "err", checkout.LogText(err), "request_id", c.GetString(requestIDKey))
		h.setFlash(c, flash{Message: l.T(msgInternal)})
	case err != nil:
		h.setFlash(c, flash{Message: l.Error(err)})
	default:
		h.setFlash(c, flash{OK: true, Message: fmt.Sprintf(l.T("admin_refund_started"), ref.OutRefundNo, ref.Amount.Yuan(),
			l.T("refund_status_"+string(ref.Status)), ref.Status)})
	}
	c.Redirect(http.StatusSeeOther, back)
}
