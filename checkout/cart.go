package checkout

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"wxcheckout/models"
)

// Quote is what a cart costs at the products' current prices: the lines an
// order would hold and their total, computed here and never taken from the
// browser.
type Quote struct {
	Items []models.OrderItem
	Total models.Money
}

// Quote prices a cart. The same product twice is one line; every product
// must be on sale, every quantity within MaxQty.
func (s *Service) Quote(ctx context.Context, lines []Line) (*Quote, error) {
	return s.quote(ctx, lines, true)
}

// quote is Quote; checkStock false leaves the stock to the store, which
// takes it or refuses in the order's transaction (a renewal passes on what
// its predecessor holds, which the products' stock no longer shows).
func (s *Service) quote(ctx context.Context, lines []Line, checkStock bool) (*Quote, error) {
	merged, err := s.mergeLines(lines)
	if err != nil {
		return nil, err
	}
	skus := make([]string, len(merged))
	for i, l := range merged {
		skus[i] = l.SKU
	}
	ps, err := s.store.ProductsBySKU(ctx, skus)
	if err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	q := &Quote{}
	for _, l := range merged {
		p, ok := ps[l.SKU]
		if !ok {
			return nil, newError(KindNotFound, msgNoProduct, fmt.Errorf("product %q", l.SKU))
		}
		if checkStock && p.Stock != nil && *p.Stock < l.Quantity {
			return nil, newError(KindConflict, msgSoldOut, fmt.Errorf("%s: %d left, %d wanted", p.SKU, *p.Stock, l.Quantity), p.Name)
		}
		id := p.ID
		it := models.OrderItem{ProductID: &id, SKU: p.SKU, Name: p.Name, NameEN: p.NameEN, UnitPrice: p.Price, Quantity: l.Quantity}
		q.Items = append(q.Items, it)
		q.Total += it.Amount()
	}
	if q.Total > models.MaxProductPrice {
		return nil, newError(KindInvalid, msgQuantity, fmt.Errorf("total %d fen", q.Total), s.set.MaxQty)
	}
	return q, nil
}

// mergeLines checks a cart's lines and adds up repeated products, keeping
// the order in which they were first chosen.
func (s *Service) mergeLines(lines []Line) ([]Line, error) {
	var merged []Line
	at := map[string]int{}
	for _, l := range lines {
		if l.SKU == "" || len(l.SKU) > 32 {
			return nil, newError(KindNotFound, msgNoProduct, fmt.Errorf("sku %q", l.SKU))
		}
		if l.Quantity < 1 || l.Quantity > s.set.MaxQty {
			return nil, newError(KindInvalid, msgQuantity, nil, s.set.MaxQty)
		}
		if i, ok := at[l.SKU]; ok {
			merged[i].Quantity += l.Quantity
			if merged[i].Quantity > s.set.MaxQty {
				return nil, newError(KindInvalid, msgQuantity, nil, s.set.MaxQty)
			}
			continue
		}
		at[l.SKU] = len(merged)
		merged = append(merged, l)
	}
	switch {
	case len(merged) == 0:
		return nil, newError(KindInvalid, msgEmptyCart, nil)
	case len(merged) > MaxCartLines:
		return nil, newError(KindInvalid, msgCartTooBig, nil, MaxCartLines)
	}
	return merged, nil
}

// Count is how many pieces the cart holds.
func (q *Quote) Count() int {
	n := 0
	for _, it := range q.Items {
		n += it.Quantity
	}
	return n
}

// maxBodyBytes is WeChat's limit on body (String(128)), with room to spare
// for the simulator's and WeChat's byte counting.
const maxBodyBytes = 127

// Body summarises the goods for WeChat's body, which the shopper sees in
// their payment record: the first product, and how many pieces in all when
// there are more ("西湖龙井 100g 等3件").
func (q *Quote) Body() string {
	name := q.Items[0].Name
	suffix := ""
	if len(q.Items) > 1 {
		suffix = fmt.Sprintf(" 等%d件", q.Count())
	}
	return cutBytes(name, maxBodyBytes-len(suffix)) + suffix
}

// goodsDetail is WeChat's detail field (v2 JSON; the v3 adapter converts
// it to detail.goods_detail).
type goodsDetail struct {
	CostPrice   int64       `json:"cost_price"`
	GoodsDetail []goodsLine `json:"goods_detail"`
}

type goodsLine struct {
	GoodsID   string `json:"goods_id"`
	GoodsName string `json:"goods_name"`
	Quantity  int    `json:"quantity"`
	Price     int64  `json:"price"`
}

// maxDetailBytes is WeChat's limit on detail (String(6000)).
const maxDetailBytes = 6000

// Detail lists every line of the goods for WeChat's detail field, within
// its 6000 bytes: when the names of a large cart would not fit, each is
// shortened (never cut inside a character) until they do.
func (q *Quote) Detail() string {
	for nameBytes := 256; ; nameBytes = nameBytes * 3 / 4 {
		if d := q.detail(nameBytes); len(d) <= maxDetailBytes || nameBytes < 12 {
			return d
		}
	}
}

// detail is the detail JSON with names of at most nameBytes bytes. HTML is
// not escaped: "<" as \u003c would spend six bytes of WeChat's limit.
func (q *Quote) detail(nameBytes int) string {
	d := goodsDetail{CostPrice: int64(q.Total)}
	for _, it := range q.Items {
		d.GoodsDetail = append(d.GoodsDetail, goodsLine{GoodsID: it.SKU, GoodsName: cutBytes(it.Name, nameBytes), Quantity: it.Quantity, Price: int64(it.UnitPrice)})
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d) // plain structs: cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}
