package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxcheckout/internal/testrig"
	"wxcheckout/models"
)

type apiRefund struct {
	OutRefundNo string `json:"out_refund_no"`
	RefundID    string `json:"refund_id"`
	Amount      int64  `json:"amount"`
	Reason      string `json:"reason"`
	Status      string `json:"status"`
	CreatedAt   string `json:"created_at"`
}

func (a apiReply) refund(t *testing.T, want int) apiRefund {
	t.Helper()
	if a.Status != want {
		t.Fatalf("status %d, want %d: %s", a.Status, want, a.Body)
	}
	var fields map[string]any
	var ref apiRefund
	if json.Unmarshal([]byte(a.Body), &fields) != nil || len(fields) != 6 || json.Unmarshal([]byte(a.Body), &ref) != nil {
		t.Fatalf("not a refund: %s", a.Body)
	}
	return ref
}

// apiPaidOrder creates an order of app through the API and pays it.
func apiPaidOrder(t *testing.T, r *testrig.Rig, app *models.MerchantApp, outTradeNo string, amount int64) string {
	t.Helper()
	o := apiCall(t, r, app, "POST", "/api/v1/orders", createBody(outTradeNo, amount, "")).order(t, http.StatusCreated)
	payBySync(t, r, r.Order(t, o.TradeNo))
	return o.TradeNo
}

func refundBody(no string, amount int64, reason string) string {
	return fmt.Sprintf(`{"out_refund_no":%q,"amount":%d,"reason":%q}`, no, amount, reason)
}

func TestAPIRefund(t *testing.T) {
	r, f := refundRig(t)
	app, other := r.MerchantApp(t, "api"), r.MerchantApp(t, "other")
	tradeNo := apiPaidOrder(t, r, app, "A-1", 1000)
	path := "/api/v1/orders/" + tradeNo + "/refunds"

	apiCall(t, r, nil, "POST", path, refundBody("M-1", 100, "")).wantErr(t, http.StatusUnauthorized, "unauthorized")
	wrong := *app
	wrong.Key = other.Key
	apiCall(t, r, &wrong, "POST", path, refundBody("M-1", 100, "")).wantErr(t, http.StatusUnauthorized, "unauthorized")

	ref := apiCall(t, r, app, "POST", path, refundBody("M-1", 300, "部分退款")).refund(t, http.StatusCreated)
	if ref.OutRefundNo != "M-1" || ref.Amount != 300 || ref.Reason != "部分退款" || ref.Status != "PROCESSING" || ref.RefundID == "" {
		t.Fatalf("refund %+v", ref)
	}
	if _, err := time.Parse(time.RFC3339, ref.CreatedAt); err != nil || !strings.HasSuffix(ref.CreatedAt, "+08:00") {
		t.Fatalf("created_at %q", ref.CreatedAt)
	}
	if f.Sent() != 1 || f.sent[0].RefundFee != 300 || f.sent[0].OutRefundNo == "M-1" {
		t.Fatalf("sent %+v", f.sent)
	}
	again := apiCall(t, r, app, "POST", path, refundBody("M-1", 300, "部分退款")).refund(t, http.StatusOK)
	if again != ref || f.Sent() != 1 {
		t.Fatalf("the same refund again: %+v, %d sent", again, f.Sent())
	}
	apiCall(t, r, app, "POST", path, refundBody("M-1", 301, "")).wantErr(t, http.StatusConflict, "duplicate_out_refund_no")
	apiCall(t, r, app, "POST", path, refundBody("M-2", 701, "")).wantErr(t, http.StatusBadRequest, "invalid_amount")
	apiCall(t, r, app, "POST", path, refundBody("M-2", 0, "")).wantErr(t, http.StatusBadRequest, "invalid_amount")
	apiCall(t, r, app, "POST", path, refundBody("M-2", -5, "")).wantErr(t, http.StatusBadRequest, "invalid_amount")
	for _, no := range []string{"", "has space", "中文", strings.Repeat("x", 65), "tab\there"} {
		apiCall(t, r, app, "POST", path, refundBody(no, 1, "")).wantErr(t, http.StatusBadRequest, "invalid_out_refund_no")
	}
	apiCall(t, r, app, "POST", path, `{"amount":1}`).wantErr(t, http.StatusBadRequest, "invalid_out_refund_no")
	apiCall(t, r, app, "POST", path, `{"out_refund_no":"M-3","amount":1.5}`).wantErr(t, http.StatusBadRequest, "invalid_type")
	apiCall(t, r, app, "POST", path, `{"out_refund_no":"M-3","amount":1,"Amount":2}`).wantErr(t, http.StatusBadRequest, "unknown_field")
	apiCall(t, r, app, "POST", path, `{"out_refund_no":"M-3","amount":1}`, "Content-Type", "text/plain").wantErr(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	if f.Sent() != 1 {
		t.Fatalf("refused requests reached WeChat: %+v", f.sent)
	}
	// The rest, in full, under a number of 64 characters.
	long := strings.Repeat("9", 64)
	apiCall(t, r, app, "POST", path, refundBody(long, 700, "")).refund(t, http.StatusCreated)

	apiCall(t, r, app, "POST", "/api/v1/orders/NOSUCHORDER/refunds", refundBody("M-4", 1, "")).wantErr(t, http.StatusNotFound, "not_found")
	apiCall(t, r, other, "POST", path, refundBody("M-4", 1, "")).wantErr(t, http.StatusNotFound, "not_found")

	unpaid := apiCall(t, r, app, "POST", "/api/v1/orders", createBody("A-2", 100, "")).order(t, http.StatusCreated)
	apiCall(t, r, app, "POST", "/api/v1/orders/"+unpaid.TradeNo+"/refunds", refundBody("M-5", 1, "")).wantErr(t, http.StatusBadRequest, "order_not_paid")
	if f.Sent() != 2 {
		t.Fatalf("%d refunds sent, want 2", f.Sent())
	}
}

func TestAPIRefundRefusedByWeChat(t *testing.T) {
	r, f := refundRig(t)
	app := r.MerchantApp(t, "api")
	tradeNo := apiPaidOrder(t, r, app, "A-1", 1000)
	f.setRefund(refuseRefund)
	apiCall(t, r, app, "POST", "/api/v1/orders/"+tradeNo+"/refunds", refundBody("M-1", 100, "")).wantErr(t, http.StatusBadGateway, "refund_refused")
	// The refused refund is CLOSED; asking again with its number says so.
	if ref := apiCall(t, r, app, "POST", "/api/v1/orders/"+tradeNo+"/refunds", refundBody("M-1", 100, "")).refund(t, http.StatusOK); ref.Status != "CLOSED" {
		t.Fatalf("refund %+v", ref)
	}
}

func TestAPIIdenticalRefundsAtOnceAreOneRefund(t *testing.T) {
	r, f := refundRig(t)
	app := r.MerchantApp(t, "api")
	tradeNo := apiPaidOrder(t, r, app, "A-1", 1000)
	var wg sync.WaitGroup
	var createdN atomic.Int32
	for range 8 {
		wg.Go(func() {
			a, err := apiDo(r, app, "POST", "/api/v1/orders/"+tradeNo+"/refunds", refundBody("M-1", 400, ""))
			if err != nil || a.Status != http.StatusCreated && a.Status != http.StatusOK {
				t.Errorf("%v %d %s", err, a.Status, a.Body)
			}
			if err == nil && a.Status == http.StatusCreated {
				createdN.Add(1)
			}
		})
	}
	wg.Wait()
	if f.Sent() != 1 || len(refundsOf(t, r, tradeNo)) != 1 || r.Order(t, tradeNo).Refundable() != 600 {
		t.Fatalf("8 identical requests at once: %d sent", f.Sent())
	}
	if createdN.Load() != 1 {
		t.Fatalf("8 identical requests at once: %d answered 201, want 1 (the rest 200)", createdN.Load())
	}
}
