package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"wxcheckout/internal/loadkit"
)

func (r *runner) print(elapsed time.Duration) {
	requests := 0
	for _, s := range r.stats.Summaries() {
		requests += s.Count + s.Errors
	}
	fmt.Printf("\n%d orders completed, %d failed, in %s: %.1f orders/s, %.0f requests/s\n\n",
		r.done.Load(), r.failed.Load(), elapsed.Round(time.Millisecond),
		float64(r.done.Load())/elapsed.Seconds(), float64(requests)/elapsed.Seconds())
	r.stats.Print(os.Stdout)
	fmt.Println()
	r.paidSeen.Print(os.Stdout)
	for _, err := range r.errs {
		fmt.Println("error:", err)
	}
}

// verify checks the outcome against the simulator: every order paid there
// PAID in the shop, nothing doubled (from the database when there is one),
// no 5xx and no failed order. The shop, when this run started it, is stopped
// gracefully before its database is read.
func (r *runner) verify(ctx context.Context, app *loadkit.Proc) error {
	sim, err := loadkit.SimOrders(ctx, r.cfg.url+"/sim")
	if err != nil {
		return err
	}
	paid := 0
	for _, o := range sim {
		if o.TradeState == "SUCCESS" {
			paid++
		}
	}
	var problems []string
	if app != nil {
		if err := app.Stop(15 * time.Second); err != nil {
			problems = append(problems, "graceful stop: "+err.Error())
		}
	}
	audited := "not audited (no -db)"
	if r.cfg.db != "" {
		local, err := loadkit.ReadOrders(r.cfg.db)
		if err != nil {
			return err
		}
		problems = append(problems, loadkit.Audit(local, sim)...)
		audited = fmt.Sprintf("audited %d orders in the database against %d at the simulator", len(local), len(sim))
	}
	if n := r.stats.Total5xx(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d responses were 5xx", n))
	}
	if n := r.failed.Load(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d orders failed", n))
	}
	fmt.Printf("\nverify: %d paid at the simulator; %s; %d problems\n", paid, audited, len(problems))
	for i, p := range problems {
		if i == 20 {
			fmt.Printf("… and %d more\n", len(problems)-i)
			break
		}
		fmt.Println("  ", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems", len(problems))
	}
	fmt.Println("verify: zero 5xx, zero lost and zero doubled payments")
	return nil
}
