package main

import (
	"wxcheckout/internal/loadkit"
	"wxcheckout/store"
)

// checkDatabase reads the shop's database after a graceful stop and checks
// it against the simulator (loadkit.Audit): the same orders, PAID exactly
// when WeChat says SUCCESS, each PAID transition recorded once, and nothing
// else but NOTPAY, CLOSED or FAILED with a reason.
func (c *crashRig) checkDatabase(sim []loadkit.SimOrder) {
	t := c.t
	t.Helper()
	st, err := store.Open(c.dbPath) // the shop's own open (and migration) after the crash
	if err != nil {
		t.Fatalf("reopen the database: %v", err)
	}
	st.Close()
	local, err := loadkit.ReadOrders("sqlite:" + c.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range loadkit.Audit(local, sim) {
		t.Error(problem)
	}
	t.Logf("database: %d orders in the shop, %d at WeChat", len(local), len(sim))
}
