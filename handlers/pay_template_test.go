package handlers

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"wxcheckout/models"
)

// The payment page's merchant links are left to html/template's URL
// sanitiser too, beneath the handler's own check: a script URL that got
// past both creation and the handler still never becomes a link.
func TestPayTemplateSanitisesMerchantLinks(t *testing.T) {
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	const evil = "javascript:alert(document.cookie)//"
	mno := "M1"
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, state := range []string{"PAID", "EXPIRED"} {
		o := &models.Order{OutTradeNo: "X1", Token: "tok", Status: models.OrderStatus(state), TotalFee: 1, PaidAt: &now,
			Merchant: models.Merchant{AppPid: 1000, MerchantTradeNo: &mno, ItemName: "x", ReturnURL: evil}}
		if state == "EXPIRED" {
			o.Status = models.StatusNotPay
		}
		d := payData{Order: o, State: state, Merchant: &merchantView{Name: "m", ReturnURL: evil, BackURL: evil}}
		var buf bytes.Buffer
		if err := p.byName["pay"].ExecuteTemplate(&buf, "layout", view{L: LangZH, Data: d}); err != nil {
			t.Fatal(err)
		}
		page := buf.String()
		if strings.Contains(page, "javascript:") {
			t.Errorf("%s: the template let a script URL through:\n%s", state, page)
		}
		if !strings.Contains(page, "#ZgotmplZ") {
			t.Errorf("%s: the merchant link was not rendered (sanitised) at all", state)
		}
	}
}
