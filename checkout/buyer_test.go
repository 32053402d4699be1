package checkout_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

func askFor(t *testing.T, r *testrig.Rig, ask models.BuyerFields) {
	t.Helper()
	must(t, r.Svc.SaveShopSettings(context.Background(), models.ShopSettings{ShopName: "茶舍", Ask: ask}))
}

func TestBuyerDetailsAreCheckedAgainstWhatTheOwnerAsks(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	askFor(t, r, models.BuyerFields{Name: true, Phone: true})
	tests := []struct {
		name  string
		buyer models.Buyer
		want  map[string]string
	}{
		{"not asked", models.Buyer{Name: "张三", Phone: "13800138000", Address: "杭州市西湖区龙井路 1 号", Note: "x"},
			map[string]string{"address": "err_field_not_asked", "note": "err_field_not_asked"}},
		{"missing", models.Buyer{}, map[string]string{"name": "err_field_required", "phone": "err_field_required"}},
		{"bad phone", models.Buyer{Name: "张三", Phone: "12345"}, map[string]string{"phone": "err_phone"}},
		{"control", models.Buyer{Name: "张\u202e三", Phone: "13800138000"}, map[string]string{"name": "err_field_control"}},
	}
	for _, tt := range tests {
		_, err := r.Svc.PlaceOrder(context.Background(), checkout.PlaceRequest{SKU: "COFFEE", Quantity: 1, Buyer: tt.buyer, ClientIP: "127.0.0.1"})
		if checkout.KindOf(err) != checkout.KindInvalid || !reflect.DeepEqual(checkout.FieldsOf(err), tt.want) {
			t.Errorf("%s: %v fields %v, want %v", tt.name, err, checkout.FieldsOf(err), tt.want)
		}
	}
	if n := r.CountRows(t, "orders"); n != 0 {
		t.Errorf("%d orders created by refused details", n)
	}
	if n := len(r.Sim.Orders()); n != 0 {
		t.Errorf("%d WeChat orders placed by refused details", n)
	}
}

func TestBuyerDetailsAreStoredAndKeptByRenew(t *testing.T) {
	r := testrig.New(t, testrig.Options{})
	askFor(t, r, models.BuyerFields{Name: true, Phone: true, Address: true, Note: true})
	told := models.Buyer{Name: " 张三 ", Phone: "+86 138 0013 8000", Address: "浙江省杭州市西湖区\n龙井路 1 号", Note: "工作日送达"}
	o, err := r.Svc.PlaceOrder(context.Background(), checkout.PlaceRequest{
		Lines: []checkout.Line{{SKU: "COFFEE", Quantity: 1}, {SKU: "PENNY", Quantity: 2}}, Buyer: told, ClientIP: "127.0.0.1"})
	must(t, err)
	want := told.Normalize()
	if got := r.Order(t, o.OutTradeNo).Buyer; got != want {
		t.Fatalf("stored buyer %+v, want %+v", got, want)
	}
	// The owner stops asking; the renewal keeps what was told, and the lines.
	askFor(t, r, models.BuyerFields{})
	r.Clock.Advance(16 * time.Minute)
	next, err := r.Svc.Renew(context.Background(), o.Token, "127.0.0.1", "")
	must(t, err)
	got := r.Order(t, next.OutTradeNo)
	if got.Buyer != want || got.TotalFee != o.TotalFee || got.Detail != o.Detail || got.Body != o.Body {
		t.Errorf("renewal: buyer %+v total %d detail %q; want the first order's", got.Buyer, got.TotalFee, got.Detail)
	}
	items, err := r.Svc.OrderItems(context.Background(), got)
	must(t, err)
	if len(items) != 2 || items[0].SKU != "COFFEE" || items[1].SKU != "PENNY" || items[1].Quantity != 2 {
		t.Errorf("renewal's lines %+v, want COFFEE×1, PENNY×2", items)
	}
}

// The checkout's request has no place for a price or an amount: what a
// shopper pays is computed from the database's prices only.
func TestPlaceRequestCarriesNoAmount(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[checkout.PlaceRequest](), reflect.TypeFor[checkout.Line]()} {
		for f := range typ.Fields() {
			if f.Type.Kind() != reflect.String && f.Type.Kind() != reflect.Int && f.Type.Kind() != reflect.Slice && f.Type.Kind() != reflect.Struct ||
				f.Type == reflect.TypeFor[models.Money]() || containsAny(f.Name, "Price", "Amount", "Fee", "Total") {
				t.Errorf("%s.%s (%s) could carry an amount", typ.Name(), f.Name, f.Type)
			}
		}
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
