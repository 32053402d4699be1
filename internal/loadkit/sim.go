package loadkit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// SimOrder is an order as the simulator sees it (GET /control/orders).
type SimOrder struct {
	OutTradeNo    string `json:"out_trade_no"`
	TradeState    string `json:"trade_state"` // NOTPAY, SUCCESS or CLOSED
	TotalFee      int64  `json:"total_fee"`
	CodeURL       string `json:"code_url"`
	TransactionID string `json:"transaction_id"`
	Delivered     bool   `json:"delivered"`
}

// SimOrders lists the simulator's orders; simBase is the standalone
// simulator's URL, or the app's URL + "/sim" for the built-in one.
func SimOrders(ctx context.Context, simBase string) ([]SimOrder, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, simBase+"/control/orders", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("simulator orders: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("simulator orders: HTTP %d", resp.StatusCode)
	}
	var out []SimOrder
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("simulator orders: %w", err)
	}
	return out, nil
}
