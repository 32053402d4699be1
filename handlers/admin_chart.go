package handlers

import (
	"context"
	"strings"
	"time"

	"wxcheckout/models"
	"wxcheckout/wxpay"
)

// The chart of paid amount per day: drawn here as SVG (presentation
// attributes only), so it needs no script and no inline style (the CSP
// allows neither) and no chart library. The plot sits inside margins that
// hold the ¥ axis on the left and the day labels below.
const (
	chartDays    = 30
	chartBarW    = 20
	chartPlotW   = chartDays * chartBarW
	chartPlotH   = 140
	chartLeft    = 64 // the ¥ labels and the axis title
	chartTop     = 12
	chartBottom  = 44 // the day labels and the axis title
	chartWidth   = chartLeft + chartPlotW + 12
	chartHeight  = chartTop + chartPlotH + chartBottom
	chartDayStep = 5 // a day label every 5th day, ending today
)

type chartBar struct {
	X, Y, W, H int
	Day        string // yyyy-mm-dd, Beijing
	Fen        int64
	Yuan       string
	Count      int64
}

// chartTick is a line of the y axis's grid, Y in the SVG's coordinates.
type chartTick struct {
	Y     int
	Fen   int64
	Label string // ¥12.50, ¥300
}

// chartDay is a label of the x axis, X at the middle of its bar.
type chartDay struct {
	X     int
	Label string // 11-01
}

type chartData struct {
	Width, Height    int
	Left, Top        int // the plot's origin
	PlotW, PlotH     int
	Bottom           int // the y of the x axis
	Right            int // the x where the plot ends
	LabelX           int // where the ¥ labels end (right-aligned)
	Bars             []chartBar
	Ticks            []chartTick
	Days             []chartDay
	XTitleX, XTitleY int
	YTitleX, YTitleY int
	XTitle, YTitle   string // the axes' titles in the admin's language
	Caption          string // the period and its sum, for the figure and aria
	Max              string // the tallest bar, in yuan
	Total            string // the 30 days together, in yuan
	From, To         string
}

// paidChart is the last 30 Beijing days up to and including today.
func (h *Handler) paidChart(ctx context.Context, l Lang) (chartData, error) {
	today := beijingDay(h.opt.Now())
	from, to := today.AddDate(0, 0, 1-chartDays), today.AddDate(0, 0, 1)
	days, err := h.opt.Admin.PaidPerDay(ctx, from, to)
	if err != nil {
		return chartData{}, err
	}
	c := buildChart(days, from)
	c.XTitle, c.YTitle = l.T("adm_chart_x"), l.T("adm_chart_y")
	c.Caption = l.Tf("adm_chart_caption", c.From, c.To, c.Total, c.Max)
	return c, nil
}

// beijingDay is the start of t's day in Beijing.
func beijingDay(t time.Time) time.Time {
	y, m, d := t.In(wxpay.Beijing()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, wxpay.Beijing())
}

// buildChart lays out one bar per day from the first day on, scaled to the
// top of a "nice" ¥ axis; a day with any payment gets at least a visible
// sliver.
func buildChart(days []models.DayTotal, first time.Time) chartData {
	byDay := make(map[string]models.DayTotal, len(days))
	var most, total models.Money
	for _, d := range days {
		byDay[d.Day] = d
		most = maxMoney(most, d.PaidFee)
		total += d.PaidFee
	}
	bottom := chartTop + chartPlotH
	c := chartData{Width: chartWidth, Height: chartHeight, Left: chartLeft, Top: chartTop, PlotW: chartPlotW, PlotH: chartPlotH,
		Bottom: bottom, Right: chartLeft + chartPlotW, LabelX: chartLeft - 6, Max: most.Yuan(), Total: total.Yuan(),
		XTitleX: chartLeft + chartPlotW/2, XTitleY: chartHeight - 6, YTitleX: -(chartTop + chartPlotH/2), YTitleY: 14,
		From: first.Format(time.DateOnly), To: first.AddDate(0, 0, chartDays-1).Format(time.DateOnly)}
	step, n := niceStep(int64(most))
	top := step * n
	for i := int64(0); i <= n; i++ {
		c.Ticks = append(c.Ticks, chartTick{Y: bottom - int(i*step*chartPlotH/top), Fen: i * step, Label: "¥" + tickYuan(i*step)})
	}
	for i := range chartDays {
		date := first.AddDate(0, 0, i)
		day := date.Format(time.DateOnly)
		d := byDay[day]
		hgt := int(int64(d.PaidFee) * chartPlotH / top)
		if d.PaidFee > 0 && hgt < 2 {
			hgt = 2
		}
		x := chartLeft + i*chartBarW
		c.Bars = append(c.Bars, chartBar{X: x + 1, Y: bottom - hgt, W: chartBarW - 2, H: hgt,
			Day: day, Fen: int64(d.PaidFee), Yuan: d.PaidFee.Yuan(), Count: d.Count})
		if (chartDays-1-i)%chartDayStep == 0 {
			c.Days = append(c.Days, chartDay{X: x + chartBarW/2, Label: date.Format("01-02")})
		}
	}
	return c
}

// niceStep picks the y axis's step (1, 2 or 5 × 10ⁿ fen) and how many steps
// reach most: 2 to 4, so 3 to 5 ticks with zero. An empty month gets ¥0–¥1.
func niceStep(most int64) (step, n int64) {
	if most <= 0 {
		most = 100
	}
	for mag := int64(1); ; mag *= 10 {
		for _, m := range []int64{1, 2, 5} {
			step = m * mag
			if n = (most + step - 1) / step; n <= 4 {
				return step, max(n, 2)
			}
		}
	}
}

// tickYuan is an axis label: whole yuan without decimals.
func tickYuan(fen int64) string {
	return strings.TrimSuffix(models.Money(fen).Yuan(), ".00")
}

func maxMoney(a, b models.Money) models.Money {
	if b > a {
		return b
	}
	return a
}
