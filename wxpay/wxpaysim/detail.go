package wxpaysim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Goods is one line of an order's detail (v2's goods_detail, v3's
// detail.goods_detail): what the shopper sees they pay for.
type Goods struct {
	ID       string `json:"goods_id"` // v2 goods_id, v3 merchant_goods_id
	Name     string `json:"goods_name"`
	Quantity int64  `json:"quantity"`
	Price    int64  `json:"price"` // fen per piece (v3 unit_price)
}

// detailLimit is the size of v2's detail, String(6000).
const detailLimit = 6000

// goodsNames are the JSON names of a goods line's fields in one API
// version: id, price.
type goodsNames struct{ prefix, id, price string }

var (
	v2Goods = goodsNames{prefix: "detail", id: "goods_id", price: "price"}
	v3Goods = goodsNames{prefix: "detail", id: "merchant_goods_id", price: "unit_price"}
)

// parseDetail checks a detail object by WeChat's rules — a JSON object
// whose cost_price, when present, is an integer of fen, and whose
// goods_detail lists each product with its id (1–32 characters), name
// (≤256), quantity (≥1) and price (an integer of fen, ≥0) — and returns
// its goods. The error is WeChat's description of the first fault.
func parseDetail(raw []byte, n goodsNames) ([]Goods, error) {
	bad := func(format string, a ...any) error { return fmt.Errorf(n.prefix+format, a...) }
	var d struct {
		CostPrice   json.RawMessage              `json:"cost_price"`
		GoodsDetail []map[string]json.RawMessage `json:"goods_detail"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if !utf8.Valid(raw) || dec.Decode(&d) != nil || dec.More() {
		return nil, bad("参数格式错误，须为JSON对象（detail is not a JSON object）")
	}
	var cost json.Number
	if d.CostPrice != nil && (!field(map[string]json.RawMessage{"cost_price": d.CostPrice}, "cost_price", &cost) || !isFen(cost)) {
		return nil, bad(".cost_price须为整数，单位为分")
	}
	goods := make([]Goods, 0, len(d.GoodsDetail))
	for i, g := range d.GoodsDetail {
		var line Goods
		var qty, price json.Number
		if !field(g, n.id, &line.ID) || line.ID == "" || utf8.RuneCountInString(line.ID) > 32 {
			return nil, bad(".goods_detail[%d].%s必填，长度不能超过32个字符", i, n.id)
		}
		if !field(g, "goods_name", &line.Name) || utf8.RuneCountInString(line.Name) > 256 {
			return nil, bad(".goods_detail[%d].goods_name长度不能超过256个字符", i)
		}
		if !field(g, "quantity", &qty) || !isFen(qty) {
			return nil, bad(".goods_detail[%d].quantity须为正整数", i)
		}
		if !field(g, n.price, &price) || !isFen(price) {
			return nil, bad(".goods_detail[%d].%s须为整数，单位为分", i, n.price)
		}
		line.Quantity, _ = qty.Int64()
		line.Price, _ = price.Int64()
		if line.Quantity < 1 {
			return nil, bad(".goods_detail[%d].quantity须为正整数", i)
		}
		goods = append(goods, line)
	}
	return goods, nil
}

// field decodes g[name] into v; a missing field leaves v as it is (and is
// allowed only for goods_name, which the caller checks by its zero value).
func field(g map[string]json.RawMessage, name string, v any) bool {
	raw, ok := g[name]
	if !ok {
		_, isString := v.(*string)
		return isString && name == "goods_name"
	}
	if _, isNumber := v.(*json.Number); isNumber && (len(raw) == 0 || raw[0] == '"') {
		return false // a number in a string ("2") is not WeChat's Int
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v) == nil
}

// isFen accepts a non-negative integer without exponent or fraction.
func isFen(n json.Number) bool {
	v, err := strconv.ParseInt(n.String(), 10, 64)
	return err == nil && v >= 0
}

// v2Detail applies WeChat's rules to v2's detail, a JSON string.
func v2Detail(v string) *reply {
	if len(v) > detailLimit {
		return invalidParam("detail参数长度有误，不能超过6000个字节")
	}
	if _, err := parseDetail([]byte(v), v2Goods); err != nil {
		return invalidParam(err.Error())
	}
	return nil
}

// v3Detail checks v3's detail object and returns it compacted, as the
// order keeps it ("" when there is none).
func v3Detail(raw json.RawMessage) (string, *v3reply) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if _, err := parseDetail(raw, v3Goods); err != nil {
		r := v3ParamError(err.Error())
		return "", &r
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		r := v3ParamError("detail参数格式错误")
		return "", &r
	}
	return b.String(), nil
}

// goods is what the order's detail lists (validated when it was placed).
func (o *order) goods() []Goods {
	d := o.fields["detail"]
	if d == "" {
		return nil
	}
	n := v2Goods
	if o.v3 {
		n = v3Goods
	}
	g, _ := parseDetail([]byte(d), n)
	return g
}
