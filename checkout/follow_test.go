package checkout_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"wxcheckout/checkout"
	"wxcheckout/internal/testrig"
	"wxcheckout/models"
	"wxcheckout/store"
)

// Two instances on one PostgreSQL: instance B answers a payment page from
// its status view, and must learn of a payment instance A records — by the
// NOTIFY that comes with A's commit — without B having changed anything.
func TestInstancesFollowEachOthersPayments(t *testing.T) {
	if !testrig.UsesPostgres() {
		t.Skip("several instances share only PostgreSQL: run under .ci/with-postgres (make test-pg)")
	}
	r := testrig.New(t, testrig.Options{RealClock: true}) // instance A: the rig's service
	o := r.PlaceOrder(t, "COFFEE", 1)
	stB, err := store.OpenURL(r.DatabaseURL)
	must(t, err)
	t.Cleanup(func() { stB.Close() })
	b := checkout.New(checkout.Deps{Store: stB, WeChat: r.WeChat,
		Settings: checkout.Settings{OrderTTL: 15 * time.Minute, NotifyURL: r.App.URL + "/wxpay/notify", ServerIP: "127.0.0.1"}})
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan struct{})
	go func() { defer close(followed); b.FollowChanges(ctx) }()
	t.Cleanup(func() { cancel(); <-followed })

	if st, err := b.StatusByToken(ctx, o.Token); err != nil || st.Status != models.StatusNotPay {
		t.Fatalf("B's status before = %+v, %v", st, err) // now in B's view
	}
	changes, stop := b.Watch(o.OutTradeNo)
	defer stop()
	time.Sleep(200 * time.Millisecond) // B is listening
	paidAt := time.Now()
	_, applied, err := r.Svc.ConfirmPayment(ctx, checkout.Payment{OutTradeNo: o.OutTradeNo, Payment: models.Payment{
		TransactionID: "4200000001FOLLOW", TotalFee: o.TotalFee, PaidAt: time.Now(), Source: "test", Actor: "test"}})
	if err != nil || !applied {
		t.Fatalf("A records the payment: applied %v, %v", applied, err)
	}
	select {
	case st := <-changes:
		t.Logf("B learned of the payment %v after A committed it", time.Since(paidAt).Round(time.Millisecond))
		if st != models.StatusPaid {
			t.Errorf("B's watchers were told %s, want PAID", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("B's watchers were not told of A's payment")
	}
	if st, _ := b.StatusByToken(ctx, o.Token); st.Status != models.StatusPaid {
		t.Errorf("B's status view says %s after A's payment, want PAID", st.Status)
	}
}

// A change whose NOTIFY never arrived (here: written behind the app's back,
// as after a lost LISTEN connection) is caught by the periodic check.
func TestInstancesCatchAMissedNotification(t *testing.T) {
	if !testrig.UsesPostgres() {
		t.Skip("several instances share only PostgreSQL: run under .ci/with-postgres (make test-pg)")
	}
	r := testrig.New(t, testrig.Options{RealClock: true})
	o := r.PlaceOrder(t, "COFFEE", 1)
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan struct{})
	go func() { defer close(followed); r.Svc.FollowChanges(ctx) }()
	t.Cleanup(func() { cancel(); <-followed })
	if st, _ := r.Svc.StatusByToken(ctx, o.Token); st.Status != models.StatusNotPay {
		t.Fatalf("status before = %s", st.Status)
	}
	db, err := sql.Open("pgx", r.DatabaseURL) // the driver testrig registers
	must(t, err)
	defer db.Close()
	if _, err := db.Exec(`UPDATE orders SET status = 'CLOSED', updated_at = $1 WHERE out_trade_no = $2`, time.Now().UTC(), o.OutTradeNo); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := r.Svc.StatusByToken(ctx, o.Token)
		if st.Status == models.StatusClosed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status view still says %s 10 s after a change it was not notified of", st.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
