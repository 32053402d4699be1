package handlers

import (
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

// orderQuery is the admin's filter as typed, kept to re-fill the form and
// to build links that keep it (pages, CSV).
type orderQuery struct {
	Status     string
	Fulfilment string
	From       string // yyyy-mm-dd, Beijing day, inclusive
	To         string // yyyy-mm-dd, Beijing day, inclusive
	Q          string
	Older      string // where the page starts, a cursor (see orderCursor)
	Newer      string
}

// filterErrors maps a filter field to the i18n key of what is wrong with it.
type filterErrors map[string]string

// parseOrderQuery reads ?status=&fulfilment=&from=&to=&q=&older=&newer= into a
// store filter. Dates are Beijing days, whatever the server's zone: "to"
// includes its day. Anything wrong is named per field, for the form.
func parseOrderQuery(c *gin.Context) (orderQuery, models.OrderFilter, filterErrors) {
	q := orderQuery{Status: c.Query("status"), Fulfilment: c.Query("fulfilment"), From: strings.TrimSpace(c.Query("from")),
		To: strings.TrimSpace(c.Query("to")), Q: strings.TrimSpace(c.Query("q"))}
	f := models.OrderFilter{Status: models.OrderStatus(q.Status), Fulfilment: models.Fulfilment(q.Fulfilment), Query: q.Q}
	bad := filterErrors{}
	switch f.Status {
	case "", models.StatusNotPay, models.StatusPaid, models.StatusRefund, models.StatusClosed, models.StatusFailed:
	default:
		bad["status"] = "adm_err_status"
	}
	if f.Fulfilment != models.FulfilNone && !f.Fulfilment.Valid() {
		bad["fulfilment"] = "adm_err_fulfilment"
	}
	var ok bool
	if f.From, ok = parseDay(q.From); !ok {
		bad["from"] = "adm_err_date"
	}
	if f.To, ok = parseDay(q.To); !ok {
		bad["to"] = "adm_err_date"
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		bad["from"] = "adm_err_from_after_to"
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	if len(q.Q) > 64 {
		bad["q"] = "adm_err_query_long"
	}
	for _, p := range []struct {
		param string
		raw   *string
		key   **models.OrderKey
	}{{"older", &q.Older, &f.Older}, {"newer", &q.Newer, &f.Newer}} {
		if *p.raw = c.Query(p.param); *p.raw == "" {
			continue
		}
		if k, ok := parseCursor(*p.raw); ok && (p.param == "older" || f.Older == nil) {
			*p.key = &k
		} else {
			*p.raw, bad["page"] = "", "adm_err_page"
		}
	}
	if len(bad) == 0 {
		bad = nil
	}
	return q, f, bad
}

// parseDay reads a yyyy-mm-dd Beijing day; "" is no day.
func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	if len(s) != len(time.DateOnly) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(time.DateOnly, s, wxpay.Beijing())
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, false
	}
	return t, true
}

// text is the reasons in l, one per line, for the CSV's plain answer.
func (e filterErrors) text(l Lang) string {
	var lines []string
	for _, k := range []string{"status", "fulfilment", "from", "to", "q", "page"} {
		if key, ok := e[k]; ok {
			lines = append(lines, k+": "+l.T(key))
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// orderCursor is an order's place in the list for a page link: its
// creation in Unix nanoseconds and its id, "1763805600000000000-42".
func orderCursor(o *models.Order) string {
	return strconv.FormatInt(o.CreatedAt.UnixNano(), 10) + "-" + strconv.FormatUint(uint64(o.ID), 10)
}

// parseCursor reads orderCursor's form.
func parseCursor(s string) (models.OrderKey, bool) {
	ns, id, ok := strings.Cut(s, "-")
	n, err1 := strconv.ParseInt(ns, 10, 64)
	i, err2 := strconv.ParseUint(id, 10, 32)
	if !ok || err1 != nil || err2 != nil || n <= 0 || i == 0 {
		return models.OrderKey{}, false
	}
	return models.OrderKey{CreatedAt: time.Unix(0, n).UTC(), ID: uint(i)}, true
}

// values encodes the filter, and a page's cursor: param "older" or
// "newer", or "" for the first page.
func (q orderQuery) values(param, cursor string) string {
	v := url.Values{}
	for k, s := range map[string]string{"status": q.Status, "fulfilment": q.Fulfilment, "from": q.From, "to": q.To, "q": q.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if param != "" {
		v.Set(param, cursor)
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
