package handlers_test

import (
	"os"
	"testing"

	"wxcheckout/internal/testrig"
)

func TestZZDump(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	testrig.SeedOrders(t, r.Store, 60, r.Clock.Now())
	o := buyerOrder(t, r, "请轻放")
	b := r.AdminBrowser(t)
	os.WriteFile("/tmp/adm-list.html", []byte(adminGet(t, r, b, "/admin/orders").Body), 0o644)
	os.WriteFile("/tmp/adm-order.html", []byte(adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo).Body), 0o644)
}
