package handlers

import (
	"context"
	"time"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// The chart of paid amount per day: drawn here as SVG rectangles, so it
// needs no script (the CSP allows none inline) and no chart library.
const (
	chartDays   = 30
	chartWidth  = 600
	chartHeight = 120
	chartBarW   = chartWidth / chartDays
)

type chartBar struct {
	X, Y, W, H int
	Day        string // yyyy-mm-dd, Beijing
	Fen        int64
	Yuan       string
	Count      int64
}

type chartData struct {
	Width, Height int
	Bars          []chartBar
	Max           string // the tallest bar, in yuan
	Total         string // the 30 days together, in yuan
	From, To      string
}

// paidChart is the last 30 Beijing days up to and including today.
func (h *Handler) paidChart(ctx context.Context) (chartData, error) {
	today := beijingDay(h.opt.Now())
	from, to := today.AddDate(0, 0, 1-chartDays), today.AddDate(0, 0, 1)
	days, err := h.opt.Admin.PaidPerDay(ctx, from, to)
	if err != nil {
		return chartData{}, err
	}
	return buildChart(days, from), nil
}

// beijingDay is the start of t's day in Beijing.
func beijingDay(t time.Time) time.Time {
	y, m, d := t.In(wxpay.Beijing()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, wxpay.Beijing())
}

// buildChart lays out one bar per day from the first day on, scaled to the
// largest day; a day with any payment gets at least a visible sliver.
func buildChart(days []models.DayTotal, first time.Time) chartData {
	byDay := make(map[string]models.DayTotal, len(days))
	var max, total models.Money
	for _, d := range days {
		byDay[d.Day] = d
		max = maxMoney(max, d.PaidFee)
		total += d.PaidFee
	}
	c := chartData{Width: chartWidth, Height: chartHeight, Max: max.Yuan(), Total: total.Yuan(),
		From: first.Format(time.DateOnly), To: first.AddDate(0, 0, chartDays-1).Format(time.DateOnly)}
	for i := range chartDays {
		day := first.AddDate(0, 0, i).Format(time.DateOnly)
		d := byDay[day]
		hgt := 0
		if max > 0 {
			hgt = int(int64(d.PaidFee) * chartHeight / int64(max))
		}
		if d.PaidFee > 0 && hgt < 2 {
			hgt = 2
		}
		c.Bars = append(c.Bars, chartBar{X: i * chartBarW, Y: chartHeight - hgt, W: chartBarW - 2, H: hgt,
			Day: day, Fen: int64(d.PaidFee), Yuan: d.PaidFee.Yuan(), Count: d.Count})
	}
	return c
}

func maxMoney(a, b models.Money) models.Money {
	if b > a {
		return b
	}
	return a
}
