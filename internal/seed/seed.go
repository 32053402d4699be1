// Package seed fills a shop's database with a realistic history of orders,
// through the store's bulk loader (store.BulkLoad), for the benchmark
// suite's growth mode (bench/suite -grow) and its tests.
//
// The history spreads Orders over Days back from Now: 60 % paid (of those
// one in ten refunded, half of them in part, with their refunds rows;
// most shipped or done), 30 % closed unpaid at expiry, 10 % unpaid. An
// unpaid order older than its expiry does not exist at steady state (the
// reconciler closes it), so the unpaid ones are NOTPAY orders whose next
// query is a day ahead, as a long back-off leaves them: they sit in the
// unpaid indexes without being due. A handful of fresh open orders (made
// in the last minutes, not yet expired) have their next query an hour
// ahead for the same reason. Each order has its items (one to three
// lines), about six timeline entries with the raw XML bodies the checkout
// stores (unifiedorder, notify, orderquery, closeorder), and one in four
// has buyer details.
//
// Generation is streamed: Chunk orders are built and loaded (one
// transaction) at a time, so memory stays flat whatever Orders is.
package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"wxcheckout/models"
	"wxcheckout/store"
)

// Options say what to seed.
type Options struct {
	Orders int
	Days   int       // the history's span; default 90
	Now    time.Time // its end; default time.Now()
	Chunk  int       // orders per transaction; default 2000 (about 14,000 rows with items and events)
	Seed   uint64    // of the pseudo-random choices
	// Progress, when set, is called after each chunk with the orders so far.
	Progress func(done int)
	// Retention, when positive, stands for RAW_BODY_RETENTION at steady
	// state: the routine entries older than it are loaded as the pruner
	// leaves them (bodies dropped, digest kept), and the pruner's walk is
	// recorded as done up to that cut-off, so that a shop started on the
	// database has no catching up to do. Zero loads every raw body.
	Retention time.Duration
}

// Fresh is how many of the unpaid orders are fresh and open.
const Fresh = 20

// Report is what was seeded.
type Report struct {
	Orders, Items, Events, Refunds int
	ByStatus                       map[models.OrderStatus]int
}

// Run seeds o.Orders orders into st, which must have the shop's products
// (its demo catalog, seeded when the shop first opens the database) and
// should have no shop running on it (BulkLoad bypasses the writer).
func Run(ctx context.Context, st *store.Store, o Options) (Report, error) {
	rep := Report{ByStatus: map[models.OrderStatus]int{}}
	if o.Orders < 0 {
		return rep, fmt.Errorf("seed: %d orders: want 0 or more", o.Orders)
	}
	if o.Days <= 0 {
		o.Days = 90
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Chunk <= 0 {
		o.Chunk = 2000
	}
	products, err := st.Products(ctx)
	if err != nil {
		return rep, err
	}
	if len(products) == 0 {
		return rep, errors.New("seed: the database has no products; open it with the shop once first")
	}
	g := &gen{r: rand.New(rand.NewPCG(o.Seed, 0x5eed)), now: o.Now.UTC(), span: time.Duration(o.Days) * 24 * time.Hour,
		products: products, n: o.Orders}
	// One goroutine builds the next chunk while this one loads the last:
	// at most three chunks are in memory.
	chunks := make(chan []store.BulkOrder, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		for i := 0; i < o.Orders; i += o.Chunk {
			chunk := make([]store.BulkOrder, 0, o.Chunk)
			for j := i; j < min(i+o.Chunk, o.Orders); j++ {
				chunk = append(chunk, g.order(j))
			}
			select {
			case chunks <- chunk:
			case <-ctx.Done():
				return
			}
		}
	}()
	cutoff := o.Now.Add(-o.Retention)
	for chunk := range chunks {
		if o.Retention > 0 {
			pruneOld(chunk, cutoff)
		}
		if err := st.BulkLoad(ctx, chunk); err != nil {
			return rep, err
		}
		for _, b := range chunk {
			rep.Orders++
			rep.Items += len(b.Items)
			rep.Events += len(b.Events)
			rep.Refunds += len(b.Refunds)
			rep.ByStatus[b.Order.Status]++
		}
		if o.Progress != nil {
			o.Progress(rep.Orders)
		}
	}
	if o.Retention > 0 {
		if err := st.MarkRawPruned(ctx, cutoff); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// pruneOld drops the raw bodies of the chunk's routine entries older than
// cutoff as the retention pruner does (store.PruneRawBodies).
func pruneOld(chunk []store.BulkOrder, cutoff time.Time) {
	for i := range chunk {
		for j := range chunk[i].Events {
			ev := &chunk[i].Events[j]
			if ev.CreatedAt.Before(cutoff) && ev.RawPrunable() {
				ev.RawDigest = models.RawDigestOf(ev.Request, ev.Response)
				ev.Request, ev.Response = "", ""
			}
		}
	}
}

// gen builds order i of n: created oldest first, evenly over the span with
// jitter, so IDs rise with created_at as in a real shop.
type gen struct {
	r        *rand.Rand
	now      time.Time
	span     time.Duration
	products []models.Product
	n        int
}

var givenNames = []string{"三", "四", "伟", "芳", "娜", "敏", "静"}

const letters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func (g *gen) str(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *gen) order(i int) store.BulkOrder {
	fresh := i >= g.n-Fresh
	var created time.Time
	if fresh {
		created = g.now.Add(-time.Duration(g.n-i) * 13 * time.Second)
	} else {
		step := g.span / time.Duration(max(g.n, 1))
		created = g.now.Add(-g.span + time.Duration(i)*step + time.Duration(g.r.Int64N(int64(step)+1))).Add(-time.Hour)
	}
	created = created.UTC().Truncate(time.Second)
	var b store.BulkOrder
	o := &b.Order
	o.CreatedAt, o.UpdatedAt, o.TimeStart = created, created, created
	o.ExpiresAt = created.Add(15 * time.Minute)
	o.OutTradeNo = outTradeNo(created, g.str(8, letters))
	o.Token = g.str(22, letters+"-_")
	o.Prepay, o.TradeType = models.PrepayDone, "NATIVE"
	o.PrepayID = "wx" + created.Format("02150405") + g.str(22, "0123456789abcdef")
	o.CodeURL = "weixin://wxpay/bizpayurl?pr=" + g.str(7, letters)
	o.ClientIP = fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	o.ClientKey = o.ClientIP
	g.items(&b)
	if g.r.IntN(4) == 0 {
		o.Buyer = models.Buyer{Name: "张" + givenNames[g.r.IntN(len(givenNames))], Phone: "13" + g.str(9, "0123456789"),
			Address: "浙江省杭州市西湖区文三路 " + g.str(3, "0123456789") + " 号", Note: "工作日送货"}
	}
	b.Events = append(b.Events, models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "shopper", CreatedAt: created,
		Summary: fmt.Sprintf("%s × %d = ¥%s, expires %s", o.SKU, o.Quantity, o.TotalFee.Yuan(), bj(o.ExpiresAt))})
	b.Events = append(b.Events, g.unifiedOrder(o, created))
	switch k := i % 10; {
	case fresh:
		o.Status, o.NextQueryAt = models.StatusNotPay, g.now.Add(time.Hour)
		o.ExpiresAt = g.now.Add(15 * time.Minute)
	case k < 6:
		g.paid(&b)
	case k < 9:
		g.closed(&b)
	default:
		g.unpaid(&b)
	}
	return b
}

func (g *gen) items(b *store.BulkOrder) {
	o := &b.Order
	lines := 1 + g.r.IntN(3)
	for range lines {
		p := g.products[g.r.IntN(len(g.products))]
		q := 1 + g.r.IntN(3)
		b.Items = append(b.Items, models.OrderItem{ProductID: &p.ID, SKU: p.SKU, Name: p.Name, NameEN: p.NameEN,
			UnitPrice: p.Price, Quantity: q, Stocked: p.Stock != nil})
		o.TotalFee += p.Price * models.Money(q)
	}
	first := b.Items[0]
	o.ProductID, o.SKU, o.Body, o.UnitPrice, o.Quantity = first.ProductID, first.SKU, first.Name, first.UnitPrice, first.Quantity
	if lines > 1 {
		o.Body = fmt.Sprintf("%s 等 %d 件", first.Name, lines)
	}
	o.Detail = fmt.Sprintf(`{"goods_detail":[{"goods_id":%q,"goods_name":%q,"quantity":%d,"price":%d}]}`,
		first.SKU, first.Name, first.Quantity, first.UnitPrice)
}

func (g *gen) paid(b *store.BulkOrder) {
	o := &b.Order
	paid := o.CreatedAt.Add(time.Duration(20+g.r.IntN(200)) * time.Second)
	o.Status, o.PaidAt, o.PaidTradeNo = models.StatusPaid, &paid, o.OutTradeNo
	o.TransactionID = "4200" + g.str(24, "0123456789")
	o.OpenID, o.BankType = "o"+g.str(27, letters), "CMC"
	o.NextQueryAt, o.UpdatedAt = paid, paid
	b.Events = append(b.Events, g.notify(o, paid),
		models.OrderEvent{Kind: models.EventStatus, OK: true, Actor: "wechat", CreatedAt: paid, Summary: "NOTPAY → PAID (notify)"})
	at := paid.Add(time.Duration(1+g.r.IntN(48)) * time.Hour)
	switch f := g.r.IntN(10); {
	case f < 2 || at.After(g.now):
		o.Fulfilment = models.FulfilToShip
	case f < 5:
		o.Fulfilment, o.TrackingNo, o.ShippedAt = models.FulfilShipped, "SF"+g.str(12, "0123456789"), &at
	default:
		o.Fulfilment, o.TrackingNo, o.ShippedAt = models.FulfilDone, "SF"+g.str(12, "0123456789"), &at
	}
	if o.Fulfilment != models.FulfilToShip {
		b.Events = append(b.Events, models.OrderEvent{Kind: models.EventAdmin, OK: true, Actor: "admin:seed", CreatedAt: at,
			Summary: "fulfilment → " + string(o.Fulfilment)})
	} else {
		b.Events = append(b.Events, g.query(o, paid.Add(time.Minute), "SUCCESS"))
	}
	if g.r.IntN(10) != 0 {
		return
	}
	amount := o.TotalFee
	if g.r.IntN(2) == 0 && amount > 1 {
		amount = max(1, amount/2)
	}
	refunded := paid.Add(time.Duration(2+g.r.IntN(72)) * time.Hour)
	if refunded.After(g.now) {
		refunded = g.now
	}
	no := "R" + o.OutTradeNo
	b.Refunds = append(b.Refunds, models.Refund{OutTradeNo: o.OutTradeNo, OutRefundNo: no, RefundID: "5030" + g.str(26, "0123456789"),
		Amount: amount, Reason: "buyer asked", Status: models.RefundSuccess, NextQueryAt: refunded, Queries: 1,
		Actor: "admin:seed", SucceededAt: &refunded, CreatedAt: refunded, UpdatedAt: refunded})
	o.Status, o.RefundReserved, o.RefundedFee, o.RefundCount, o.UpdatedAt = models.StatusRefund, amount, amount, 1, refunded
	b.Events = append(b.Events,
		models.OrderEvent{Kind: models.EventRefund, OK: true, Actor: "admin:seed", CreatedAt: refunded,
			Summary: fmt.Sprintf("refund %s of ¥%s started", no, amount.Yuan()), Request: g.refundRequest(o, no, amount)},
		models.OrderEvent{Kind: models.EventRefund, OK: true, Actor: "reconciler", CreatedAt: refunded,
			Summary: fmt.Sprintf("refund %s SUCCESS", no)})
}

func (g *gen) closed(b *store.BulkOrder) {
	o := &b.Order
	at := o.ExpiresAt.Add(time.Duration(g.r.IntN(30)) * time.Second)
	o.Status, o.ClosedAt, o.NextQueryAt, o.UpdatedAt = models.StatusClosed, &at, at, at
	o.Queries, o.LastQueryAt, o.LastQueryState = 4+g.r.IntN(6), &at, "NOTPAY"
	b.Events = append(b.Events, g.query(o, at, "NOTPAY"), g.closeOrder(o, at),
		models.OrderEvent{Kind: models.EventStatus, OK: true, Actor: "reconciler", CreatedAt: at, Summary: "NOTPAY → CLOSED (expired)"})
}

func (g *gen) unpaid(b *store.BulkOrder) {
	o := &b.Order
	last := o.ExpiresAt.Add(time.Duration(g.r.IntN(600)) * time.Second)
	o.Status, o.Queries, o.LastQueryAt, o.LastQueryState = models.StatusNotPay, 8+g.r.IntN(20), &last, "NOTPAY"
	o.NextQueryAt = g.now.Add(24*time.Hour + time.Duration(g.r.IntN(3600))*time.Second)
	b.Events = append(b.Events, g.query(o, last, "NOTPAY"))
}

func outTradeNo(t time.Time, suffix string) string {
	bt := t.In(beijing)
	return fmt.Sprintf("%s%06d%s", bt.Format("20060102150405"), bt.Nanosecond()/1000, suffix)
}

var beijing = time.FixedZone("CST", 8*3600)

func bj(t time.Time) string { return t.In(beijing).Format("20060102150405") }
