package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

// TestAdminTimelineSaysRawBodyPruned: an entry whose bodies the retention
// pruner dropped says so, with the sha256 and sizes of what was there.
func TestAdminTimelineSaysRawBodyPruned(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	o := buyerOrder(t, r, "")
	ctx := context.Background()
	if err := r.Store.AddEvent(ctx, o, &models.OrderEvent{Kind: models.EventQuery, OK: true, Actor: "reconciler", Summary: "SUCCESS",
		Request: "<xml>q</xml>", Response: "<xml>NOTPAY</xml>", CreatedAt: r.Clock.Now().Add(-60 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Store.PruneRawBodies(ctx, r.Clock.Now().Add(-30*24*time.Hour), 100); err != nil {
		t.Fatal(err)
	}
	digest := models.RawDigestOf("<xml>q</xml>", "<xml>NOTPAY</xml>")
	b := r.AdminBrowser(t)
	for _, tc := range []struct{ lang, want string }{
		{"", "原始报文已按保留期删除 (" + digest + ")"},
		{"?lang=en", "Raw body removed after the retention period (" + digest + ")"},
	} {
		p := adminGet(t, r, b, "/admin/orders/"+o.OutTradeNo+tc.lang)
		if !strings.Contains(p.Body, tc.want) {
			t.Errorf("order page%s lacks %q", tc.lang, tc.want)
		}
	}
}
