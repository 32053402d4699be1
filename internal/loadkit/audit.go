package loadkit

import (
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the drivers the store links; read here with plain SQL
	_ "github.com/mattn/go-sqlite3"
)

// DBOrder is an order as the shop's database holds it.
type DBOrder struct {
	Status, FailReason, TransactionID string
	TotalFee                          int64
	PaidTransitions                   int // status events "→ PAID"
}

// ReadOrders reads every order of a shop's database (a DATABASE_URL:
// sqlite:PATH, read only, or postgres://…) with plain SQL, the way an
// auditor would: not through the store.
func ReadOrders(databaseURL string) (map[string]*DBOrder, error) {
	driver, dsn := "pgx", databaseURL
	if path, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		driver, dsn = "sqlite3", "file:"+path+"?mode=ro"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT out_trade_no, status, COALESCE(fail_reason, ''), COALESCE(transaction_id, ''), total_fee FROM orders`)
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	defer rows.Close()
	orders := map[string]*DBOrder{}
	for rows.Next() {
		var no string
		o := &DBOrder{}
		if err := rows.Scan(&no, &o.Status, &o.FailReason, &o.TransactionID, &o.TotalFee); err != nil {
			return nil, err
		}
		orders[no] = o
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	evs, err := db.Query(`SELECT out_trade_no, summary FROM order_events WHERE kind = 'status'`)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer evs.Close()
	for evs.Next() {
		var no, summary string
		if err := evs.Scan(&no, &summary); err != nil {
			return nil, err
		}
		if o := orders[no]; o != nil && strings.Contains(summary, "→ PAID") {
			o.PaidTransitions++
		}
	}
	return orders, evs.Err()
}

// Audit compares the shop's orders with the simulator's and lists every
// broken invariant: an order missing on either side, a different amount,
// PAID not exactly when WeChat says SUCCESS, a PAID without exactly one
// transition (doubled), or a status other than NOTPAY, CLOSED or FAILED
// with a reason.
func Audit(local map[string]*DBOrder, sim []SimOrder) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	for _, s := range sim {
		o, ok := local[s.OutTradeNo]
		switch {
		case !ok:
			bad("%s exists at WeChat but not in the shop", s.OutTradeNo)
		case o.TotalFee != s.TotalFee:
			bad("%s: total_fee %d in the shop, %d at WeChat", s.OutTradeNo, o.TotalFee, s.TotalFee)
		case s.TradeState == "SUCCESS" && o.Status != "PAID":
			bad("%s: LOST — paid at WeChat, %s in the shop", s.OutTradeNo, o.Status)
		case s.TradeState != "SUCCESS" && o.Status == "PAID":
			bad("%s: PAID in the shop, trade_state %s at WeChat", s.OutTradeNo, s.TradeState)
		case o.Status == "PAID" && o.TransactionID != s.TransactionID:
			bad("%s: transaction_id %q in the shop, %q at WeChat", s.OutTradeNo, o.TransactionID, s.TransactionID)
		}
	}
	for no, o := range local {
		switch {
		case o.Status == "PAID" && o.PaidTransitions != 1:
			bad("%s: PAID with %d → PAID transitions, want exactly 1", no, o.PaidTransitions)
		case o.Status != "PAID" && o.PaidTransitions != 0:
			bad("%s: %s after %d → PAID transitions", no, o.Status, o.PaidTransitions)
		case o.Status == "FAILED" && o.FailReason == "":
			bad("%s: FAILED without a reason", no)
		case o.Status != "PAID" && o.Status != "NOTPAY" && o.Status != "CLOSED" && o.Status != "FAILED":
			bad("%s: unexpected status %q", no, o.Status)
		}
	}
	return out
}
