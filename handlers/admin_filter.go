package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// adminPageSize is how many orders one page of the list shows.
const adminPageSize = 50

var errBadFilter = errors.New("bad filter")

// orderQuery is the admin's filter as typed, kept to re-fill the form and
// to build links that keep it (pages, CSV).
type orderQuery struct {
	Status string
	From   string // yyyy-mm-dd, Beijing day, inclusive
	To     string // yyyy-mm-dd, Beijing day, inclusive
	Q      string
	Page   int
}

// parseOrderQuery reads ?status=&from=&to=&q=&page= into a store filter.
// Dates are Beijing days, whatever the server's zone: "to" includes its day.
func parseOrderQuery(c *gin.Context) (orderQuery, models.OrderFilter, error) {
	q := orderQuery{Status: c.Query("status"), From: c.Query("from"), To: c.Query("to"),
		Q: strings.TrimSpace(c.Query("q")), Page: 1}
	var f models.OrderFilter
	switch models.OrderStatus(q.Status) {
	case "", models.StatusNotPay, models.StatusPaid, models.StatusRefund, models.StatusClosed, models.StatusFailed:
		f.Status = models.OrderStatus(q.Status)
	default:
		return q, f, errBadFilter
	}
	var err error
	if q.From != "" {
		if f.From, err = time.ParseInLocation(time.DateOnly, q.From, wxpay.Beijing()); err != nil {
			return q, f, errBadFilter
		}
	}
	if q.To != "" {
		if f.To, err = time.ParseInLocation(time.DateOnly, q.To, wxpay.Beijing()); err != nil {
			return q, f, errBadFilter
		}
		f.To = f.To.AddDate(0, 0, 1)
	}
	if len(q.Q) > 64 {
		return q, f, errBadFilter
	}
	f.Query = q.Q
	if p := c.Query("page"); p != "" {
		if q.Page, err = strconv.Atoi(p); err != nil || q.Page < 1 || q.Page > 1_000_000 {
			return q, f, errBadFilter
		}
	}
	return q, f, nil
}

// values encodes the filter, and the page when it is not the first.
func (q orderQuery) values(page int) string {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "from": q.From, "to": q.To, "q": q.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// beijingTime formats an instant as the shop owner reads it.
func beijingTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(wxpay.Beijing()).Format(time.DateTime)
}

func beijingTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return beijingTime(*t)
}
