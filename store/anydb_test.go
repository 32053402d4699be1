package store_test

// These tests open the store with testrig.MustOpenStore, so they run on
// whichever database testrig.DatabaseURL names: SQLite by default, and
// PostgreSQL in `make test-pg`. The store's other tests call store.Open on
// a file: they are about SQLite itself.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

// anyDBNow is a Beijing instant: times must round-trip as instants on any
// database, whatever zone they were written in.
var anyDBNow = time.Date(2026, 11, 22, 18, 0, 0, 0, testrig.Shanghai)

func newOpenOrder(t *testing.T, st *store.Store, no, clientKey string) *models.Order {
	t.Helper()
	p, err := st.ProductBySKU(context.Background(), "COFFEE")
	if err != nil {
		t.Fatal(err)
	}
	o := &models.Order{OutTradeNo: no, Token: "tok-" + no, ProductID: &p.ID, SKU: p.SKU, Body: p.Name,
		Quantity: 2, UnitPrice: p.Price, TotalFee: 2 * p.Price, Status: models.StatusNotPay, Prepay: models.PrepayDone,
		ClientIP: clientKey, ClientKey: clientKey, TimeStart: anyDBNow, ExpiresAt: anyDBNow.Add(15 * time.Minute),
		NextQueryAt: anyDBNow.Add(time.Minute)}
	ev := &models.OrderEvent{Kind: models.EventCreated, OK: true, Actor: "shopper", Summary: "created"}
	must(t, st.CreateOrder(context.Background(), o, ev))
	return o
}

func payment(o *models.Order, txn string) models.Payment {
	return models.Payment{TransactionID: txn, TotalFee: o.TotalFee, PaidAt: anyDBNow.Add(2 * time.Minute),
		Source: "notify", Actor: "wechat"}
}

func TestOrderRoundTripsOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	o := newOpenOrder(t, st, "ANYDB-0001", "10.0.0.1")
	byToken, err := st.OrderByToken(ctx, o.Token)
	if err != nil {
		t.Fatal(err)
	}
	byNo, err := st.OrderByOutTradeNo(ctx, o.OutTradeNo)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*models.Order{byToken, byNo} {
		if got.ID != o.ID || got.TotalFee != 11600 || got.Status != models.StatusNotPay ||
			!got.TimeStart.Equal(anyDBNow) || !got.ExpiresAt.Equal(o.ExpiresAt) || got.PaidAt != nil {
			t.Errorf("read back %+v, want %+v", got, o)
		}
	}
	if _, err := st.OrderByOutTradeNo(ctx, "ANYDB-NONE"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown order: %v, want ErrNotFound", err)
	}
	if ps, err := st.Products(ctx); err != nil || len(ps) != len(testrig.Products) {
		t.Errorf("products = %d, %v; want %d", len(ps), err, len(testrig.Products))
	}
}

// One order through the reconciler's schedule and a payment, each step
// checked against what every later query sees.
func TestOrderStepsOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	o := newOpenOrder(t, st, "ANYDB-0002", "10.0.0.2")
	pay := func() (bool, error) {
		_, applied, err := st.UpdateOrder(ctx, o.OutTradeNo, func(cur models.Order) models.Change {
			ch, _ := cur.Pay(payment(o, "4200000001"))
			return ch
		})
		return applied, err
	}
	query := func() (bool, error) {
		return true, st.ScheduleQuery(ctx, o.ID, anyDBNow.Add(2*time.Hour), true, anyDBNow, "NOTPAY")
	}
	steps := []struct {
		name        string
		do          func() (applied bool, err error)
		wantApplied bool
		wantStatus  models.OrderStatus
		wantOpen    int64 // CountOpenOrders of the client now
		wantDue     int   // DueOrders an hour later
		wantEvents  int64 // timeline entries
		wantQueries int
	}{
		{"created", func() (bool, error) { return true, nil }, true, models.StatusNotPay, 1, 1, 1, 0},
		{"queried", query, true, models.StatusNotPay, 1, 0, 1, 1},
		{"paid", pay, true, models.StatusPaid, 0, 0, 2, 1},
		{"paid again", pay, false, models.StatusPaid, 0, 0, 2, 1},
		{"queried after payment", query, true, models.StatusPaid, 0, 0, 2, 1},
	}
	for _, s := range steps {
		applied, err := s.do()
		if err != nil || applied != s.wantApplied {
			t.Fatalf("%s: applied %v, %v; want %v", s.name, applied, err, s.wantApplied)
		}
		got, err := st.OrderByOutTradeNo(ctx, o.OutTradeNo)
		must(t, err)
		open, err := st.CountOpenOrders(ctx, "10.0.0.2", anyDBNow)
		must(t, err)
		due, err := st.DueOrders(ctx, anyDBNow.Add(time.Hour), 10)
		must(t, err)
		tl, err := st.Timeline(ctx, o.ID, 0, 10)
		must(t, err)
		if got.Status != s.wantStatus || open != s.wantOpen || len(due) != s.wantDue || tl.Total != s.wantEvents ||
			got.Queries != s.wantQueries {
			t.Errorf("%s: status %s, open %d, due %d, events %d, queries %d; want %s, %d, %d, %d, %d", s.name,
				got.Status, open, len(due), tl.Total, got.Queries, s.wantStatus, s.wantOpen, s.wantDue, s.wantEvents, s.wantQueries)
		}
	}
	got, err := st.OrderByOutTradeNo(ctx, o.OutTradeNo)
	must(t, err)
	if got.PaidAt == nil || !got.PaidAt.Equal(anyDBNow.Add(2*time.Minute)) || got.TransactionID != "4200000001" {
		t.Errorf("paid order: paid_at %v, transaction_id %q", got.PaidAt, got.TransactionID)
	}
	if n, err := st.CountOpenOrders(ctx, "10.0.0.2", anyDBNow.Add(-time.Minute)); err != nil || n != 0 {
		t.Errorf("open orders of the client after payment = %d, %v; want 0", n, err)
	}
}

// Of N payments of one order racing, one applies and the timeline records
// the transition once.
func TestRacingPaymentsApplyOnceOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	o := newOpenOrder(t, st, "ANYDB-0003", "10.0.0.3")
	const n = 8
	var wg sync.WaitGroup
	applied := make(chan bool, n)
	for i := range n {
		wg.Go(func() {
			_, ok, err := st.UpdateOrder(ctx, o.OutTradeNo, func(cur models.Order) models.Change {
				ch, _ := cur.Pay(payment(o, fmt.Sprintf("42000000%02d", i)))
				return ch
			})
			if err != nil {
				t.Error(err)
			}
			applied <- ok
		})
	}
	wg.Wait()
	close(applied)
	var count int
	for ok := range applied {
		if ok {
			count++
		}
	}
	tl, err := st.Timeline(ctx, o.ID, 0, 10)
	must(t, err)
	if count != 1 || tl.Total != 2 {
		t.Errorf("%d payments applied, %d timeline entries; want 1 and 2 (created, paid)", count, tl.Total)
	}
}

// A refused notification is counted every time and kept in the timeline
// only the first keep times.
func TestRefusalsOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	o := newOpenOrder(t, st, "ANYDB-0004", "10.0.0.4")
	for range 3 {
		ev := &models.OrderEvent{Kind: models.EventNotify, Code: string(models.RefusalBadSign), Actor: "wechat", Summary: "bad sign"}
		must(t, st.RecordRefusal(ctx, o.OutTradeNo, ev, 2))
	}
	got, err := st.OrderByOutTradeNo(ctx, o.OutTradeNo)
	must(t, err)
	tl, err := st.Timeline(ctx, o.ID, 1, 10)
	must(t, err)
	if got.RefusedNotifies != 3 || tl.Total != 3 || len(tl.Events) != 2 || tl.Refusals[models.RefusalBadSign] != 2 {
		t.Errorf("refused %d, timeline %d (page of %d), kept %v; want 3, 3 (2), 2 BAD_SIGN",
			got.RefusedNotifies, tl.Total, len(tl.Events), tl.Refusals)
	}
}

func TestSettingsOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	if _, err := st.Setting(ctx, "admin_password_hash"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unset setting: %v, want ErrNotFound", err)
	}
	for _, tt := range []struct {
		value       string
		wantCreated bool
	}{{"first", true}, {"second", false}} {
		created, err := st.CreateSetting(ctx, "admin_password_hash", tt.value)
		if err != nil || created != tt.wantCreated {
			t.Errorf("CreateSetting(%q) = %v, %v; want %v", tt.value, created, err, tt.wantCreated)
		}
	}
	if v, err := st.Setting(ctx, "admin_password_hash"); err != nil || v != "first" {
		t.Errorf("setting = %q, %v; want the first value", v, err)
	}
}

func TestAdminSessionsOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	sessions := []models.AdminSession{
		{IDHash: "live", LastSeenAt: anyDBNow, ExpiresAt: anyDBNow.Add(time.Hour)},
		{IDHash: "expired", LastSeenAt: anyDBNow, ExpiresAt: anyDBNow.Add(-time.Second)},
		{IDHash: "idle", LastSeenAt: anyDBNow.Add(-2 * time.Hour), ExpiresAt: anyDBNow.Add(time.Hour)},
	}
	for i := range sessions {
		must(t, st.CreateAdminSession(ctx, &sessions[i]))
	}
	must(t, st.TouchAdminSession(ctx, "live", anyDBNow.Add(time.Minute)))
	must(t, st.DeleteAdminSessionsBefore(ctx, anyDBNow, anyDBNow.Add(-time.Hour)))
	for _, tt := range []struct {
		hash string
		kept bool
	}{{"live", true}, {"expired", false}, {"idle", false}} {
		a, err := st.AdminSession(ctx, tt.hash)
		if kept := err == nil; kept != tt.kept || (!kept && !errors.Is(err, store.ErrNotFound)) {
			t.Errorf("session %s: %v, kept %v; want kept %v", tt.hash, err, kept, tt.kept)
		} else if kept && !a.LastSeenAt.Equal(anyDBNow.Add(time.Minute)) {
			t.Errorf("session %s last seen %v, want the touch at %v", tt.hash, a.LastSeenAt, anyDBNow.Add(time.Minute))
		}
	}
	must(t, st.DeleteAdminSession(ctx, "live"))
	must(t, st.DeleteAdminSession(ctx, "live")) // gone already: not an error
	if _, err := st.AdminSession(ctx, "live"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: %v, want ErrNotFound", err)
	}
}

// The simulator's state: the newest version of each order, in
// out_trade_no order, until deleted.
func TestSimOrdersOnAnyDatabase(t *testing.T) {
	ctx := context.Background()
	st := testrig.MustOpenStore(t)
	saves := []struct {
		no      string
		version int64
	}{{"SIM-B", 1}, {"SIM-A", 1}, {"SIM-A", 3}, {"SIM-A", 2}, {"SIM-C", 1}}
	for _, s := range saves {
		must(t, st.SaveSimOrder(ctx, s.no, s.version, fmt.Appendf(nil, `"%s v%d"`, s.no, s.version)))
	}
	must(t, st.DeleteSimOrders(ctx, []string{"SIM-C", "SIM-NONE"}))
	got, err := st.LoadSimOrders(ctx)
	must(t, err)
	want := [][]byte{[]byte(`"SIM-A v3"`), []byte(`"SIM-B v1"`)}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("simulator orders = %q, want %q", got, want)
	}
}
