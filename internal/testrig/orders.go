package testrig

import (
	"context"
	"fmt"
	"testing"
	"time"

	"wxcheckout/models"
	"wxcheckout/store"
)

// SeedOrders inserts n orders straight through the store, newest first from
// newest back in steps of 7 hours (so they cross Beijing days at varied
// hours), cycling through statuses, products and quantities. Every fourth
// order starting with the second is PAID, paid 2 minutes after creation.
// It returns the orders as inserted, so tests can compute what to expect.
func SeedOrders(tb testing.TB, st *store.Store, n int, newest time.Time) []models.Order {
	tb.Helper()
	ctx := context.Background()
	var products []*models.Product
	for _, p := range Products {
		got, err := st.ProductBySKU(ctx, p.SKU)
		if err != nil {
			tb.Fatal(err)
		}
		products = append(products, got)
	}
	statuses := []models.OrderStatus{models.StatusNotPay, models.StatusPaid, models.StatusClosed, models.StatusFailed}
	out := make([]models.Order, 0, n)
	for i := range n {
		p := products[i%len(products)]
		qty := 1 + i%3
		created := newest.Add(-time.Duration(i) * 7 * time.Hour).UTC()
		o := models.Order{OutTradeNo: fmt.Sprintf("SEED%04d%s", i, p.SKU), Token: fmt.Sprintf("seedtoken%04d", i),
			ProductID: &p.ID, SKU: p.SKU, Body: p.Name, Quantity: qty, UnitPrice: p.Price,
			TotalFee: p.Price * models.Money(qty), Status: statuses[i%len(statuses)], Prepay: models.PrepayDone,
			TimeStart: created, ExpiresAt: created.Add(15 * time.Minute), NextQueryAt: created.Add(time.Hour),
			CreatedAt: created}
		if o.Status == models.StatusPaid {
			paid := created.Add(2 * time.Minute)
			o.PaidAt, o.TransactionID = &paid, fmt.Sprintf("42000000012026%014d", i)
		}
		ev := &models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "seed", Summary: "seeded"}
		if err := st.CreateOrder(ctx, &o, ev); err != nil {
			tb.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}
