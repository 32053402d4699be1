package wxpayv3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"wxcheckout/wxpay"
)

// Detail is an order's detail: the goods it is for (v3's detail object).
// WeChat shows them to the payer and uses them for single-product offers.
type Detail struct {
	CostPrice   int64       `json:"cost_price,omitempty"` // fen, the order's original price
	GoodsDetail []GoodsLine `json:"goods_detail"`
}

// GoodsLine is one product of a Detail.
type GoodsLine struct {
	MerchantGoodsID string `json:"merchant_goods_id"`    // 1–32 characters
	GoodsName       string `json:"goods_name,omitempty"` // ≤256 characters
	Quantity        int64  `json:"quantity"`             // ≥1
	UnitPrice       int64  `json:"unit_price"`           // fen per piece, ≥0
}

// validate applies WeChat's rules to d (nil: no detail).
func (d *Detail) validate() error {
	if d == nil {
		return nil
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: detail: %s", wxpay.ErrInvalidParam, fmt.Sprintf(format, a...))
	}
	if d.CostPrice < 0 {
		return bad("cost_price must not be negative")
	}
	for i, g := range d.GoodsDetail {
		switch {
		case g.MerchantGoodsID == "" || utf8.RuneCountInString(g.MerchantGoodsID) > 32 || !utf8.ValidString(g.MerchantGoodsID):
			return bad("goods_detail[%d].merchant_goods_id must be 1–32 characters", i)
		case utf8.RuneCountInString(g.GoodsName) > 256 || !utf8.ValidString(g.GoodsName):
			return bad("goods_detail[%d].goods_name must be at most 256 characters of UTF-8", i)
		case g.Quantity < 1:
			return bad("goods_detail[%d].quantity must be at least 1", i)
		case g.UnitPrice < 0:
			return bad("goods_detail[%d].unit_price must not be negative", i)
		}
	}
	return nil
}

// DetailFromV2 converts v2's detail, a JSON string
// {"cost_price","goods_detail":[{"goods_id","goods_name","quantity","price"}]},
// to v3's detail; "" is no detail.
func DetailFromV2(v2 string) (*Detail, error) {
	if v2 == "" {
		return nil, nil
	}
	var d struct {
		CostPrice   int64 `json:"cost_price"`
		GoodsDetail []struct {
			GoodsID   string `json:"goods_id"`
			GoodsName string `json:"goods_name"`
			Quantity  int64  `json:"quantity"`
			Price     int64  `json:"price"`
		} `json:"goods_detail"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(v2)))
	if len(v2) > 6000 || dec.Decode(&d) != nil || dec.More() {
		return nil, fmt.Errorf("%w: detail is not v2's detail JSON", wxpay.ErrInvalidParam)
	}
	out := &Detail{CostPrice: d.CostPrice, GoodsDetail: make([]GoodsLine, 0, len(d.GoodsDetail))}
	for _, g := range d.GoodsDetail {
		out.GoodsDetail = append(out.GoodsDetail, GoodsLine{MerchantGoodsID: g.GoodsID, GoodsName: g.GoodsName,
			Quantity: g.Quantity, UnitPrice: g.Price})
	}
	return out, out.validate()
}
