package handlers

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// goodsLine is one line of an order's goods list as the export shows it.
type goodsLine struct {
	name     string
	quantity int64
}

// scanGoods reads the goods list (goods_detail: goods_name, quantity) of
// an order's detail JSON without encoding/json's reflection, which was a
// third of the export's CPU. It takes only plain JSON as the checkout
// writes it — valid UTF-8, no backslash escapes, integer quantities, keys
// spelt exactly — and declines (ok false) anything else, which
// itemsSummary then reads with encoding/json; for what it takes, the
// result is encoding/json's (FuzzScanGoods compares the two). A detail
// that holds no list gives ok with no lines. The names point into detail.
func scanGoods(detail string) (goods []goodsLine, ok bool) {
	if detail == "" || strings.IndexByte(detail, '\\') >= 0 || !utf8.ValidString(detail) {
		return nil, false
	}
	p := goodsParser{s: detail}
	p.ws()
	if !p.object(0, func(key string) bool {
		if key != "goods_detail" {
			return !strings.EqualFold(key, "goods_detail") && p.skip(1)
		}
		if goods != nil {
			return false // a second list: declined rather than mimicked
		}
		goods = make([]goodsLine, 0, 4)
		return p.goodsList(&goods)
	}) {
		return nil, false
	}
	p.ws()
	return goods, p.i == len(p.s)
}

type goodsParser struct {
	s string
	i int
}

func (p *goodsParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *goodsParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// str reads a string (no escapes: scanGoods declined those).
func (p *goodsParser) str() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	j := strings.IndexByte(p.s[p.i+1:], '"')
	if j < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+j]
	for k := 0; k < len(v); k++ {
		if v[k] < 0x20 {
			return "", false
		}
	}
	p.i += j + 2
	return v, true
}

// number reads a JSON number literal.
func (p *goodsParser) number() (string, bool) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.peek() == '0' {
		p.i++
	} else if digits() == 0 {
		return "", false
	}
	if p.peek() == '.' {
		p.i++
		if digits() == 0 {
			return "", false
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if digits() == 0 {
			return "", false
		}
	}
	return p.s[start:p.i], true
}

// object reads {"key": value, …}, calling member with each key with the
// parser at the value (after whitespace); member reads the value.
func (p *goodsParser) object(depth int, member func(key string) bool) bool {
	if depth > 8 || p.peek() != '{' {
		return false
	}
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		return true
	}
	for {
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if p.peek() != ':' {
			return false
		}
		p.i++
		p.ws()
		if !member(key) {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

// array reads [value, …], calling elem at each value.
func (p *goodsParser) array(elem func() bool) bool {
	if p.peek() != '[' {
		return false
	}
	p.i++
	p.ws()
	if p.peek() == ']' {
		p.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case ']':
			p.i++
			return true
		default:
			return false
		}
	}
}

// skip reads a value the export does not use: a string, number, object or
// array (true, false and null are declined).
func (p *goodsParser) skip(depth int) bool {
	switch c := p.peek(); {
	case c == '"':
		_, ok := p.str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		_, ok := p.number()
		return ok
	case c == '{':
		return p.object(depth+1, func(string) bool { return p.skip(depth + 1) })
	case c == '[' && depth < 8:
		return p.array(func() bool { return p.skip(depth + 1) })
	}
	return false
}

// goodsList reads goods_detail's array of objects.
func (p *goodsParser) goodsList(goods *[]goodsLine) bool {
	return p.array(func() bool {
		var g goodsLine
		var seenName, seenQty bool
		ok := p.object(2, func(key string) bool {
			switch key {
			case "goods_name":
				if seenName {
					return false
				}
				seenName = true
				var ok bool
				g.name, ok = p.str()
				return ok
			case "quantity":
				if seenQty {
					return false
				}
				seenQty = true
				lit, ok := p.number()
				if !ok {
					return false
				}
				n, err := strconv.ParseInt(lit, 10, strconv.IntSize)
				g.quantity = n
				return err == nil
			}
			if strings.EqualFold(key, "goods_name") || strings.EqualFold(key, "quantity") {
				return false
			}
			return p.skip(3)
		})
		*goods = append(*goods, g)
		return ok
	})
}
