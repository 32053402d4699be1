package models

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var askAll = BuyerFields{Name: true, Phone: true, Address: true, Note: true}

func TestBuyerValidate(t *testing.T) {
	ok := Buyer{Name: "张三", Phone: "13800138000", Address: "浙江省杭州市西湖区龙井路 1 号", Note: "请放门口"}
	with := func(change func(*Buyer)) Buyer { b := ok; change(&b); return b }
	tests := []struct {
		name  string
		b     Buyer
		ask   BuyerFields
		field string // the field refused, "" when valid
		key   string
	}{
		{"all valid", ok, askAll, "", ""},
		{"phone +86", with(func(b *Buyer) { b.Phone = "+86 138 0013 8000" }), askAll, "", ""},
		{"phone 86-", with(func(b *Buyer) { b.Phone = "86-13800138000" }), askAll, "", ""},
		{"landline", with(func(b *Buyer) { b.Phone = "010-12345678" }), askAll, "", ""},
		{"landline no dash", with(func(b *Buyer) { b.Phone = "075512345678" }), askAll, "", ""},
		{"note optional", with(func(b *Buyer) { b.Note = "" }), askAll, "", ""},
		{"address on two lines", with(func(b *Buyer) { b.Address = "浙江省杭州市\n西湖区龙井路 1 号" }), askAll, "", ""},
		{"nothing asked, nothing told", Buyer{}, BuyerFields{}, "", ""},
		{"phone short", with(func(b *Buyer) { b.Phone = "12345" }), askAll, "phone", "err_phone"},
		{"phone letters", with(func(b *Buyer) { b.Phone = "1380013800a" }), askAll, "phone", "err_phone"},
		{"phone 10 digits", with(func(b *Buyer) { b.Phone = "1380013800" }), askAll, "phone", "err_phone"},
		{"phone 12 digits", with(func(b *Buyer) { b.Phone = "138001380001" }), askAll, "phone", "err_phone"},
		{"phone starts 12", with(func(b *Buyer) { b.Phone = "12800138000" }), askAll, "phone", "err_phone"},
		{"phone too long", with(func(b *Buyer) { b.Phone = strings.Repeat("1", 21) }), askAll, "phone", "err_field_too_long"},
		{"phone missing", with(func(b *Buyer) { b.Phone = "" }), askAll, "phone", "err_field_required"},
		{"name missing", with(func(b *Buyer) { b.Name = "" }), askAll, "name", "err_field_required"},
		{"name too long", with(func(b *Buyer) { b.Name = strings.Repeat("名", MaxBuyerNameLen+1) }), askAll, "name", "err_field_too_long"},
		{"name NUL", with(func(b *Buyer) { b.Name = "张\x00三" }), askAll, "name", "err_field_control"},
		{"name line break", with(func(b *Buyer) { b.Name = "张\n三" }), askAll, "name", "err_field_control"},
		{"name RTL override", with(func(b *Buyer) { b.Name = "abc\u202egpj.exe" }), askAll, "name", "err_field_control"},
		{"name RTL isolate", with(func(b *Buyer) { b.Name = "abc\u2067x" }), askAll, "name", "err_field_control"},
		{"name bad UTF-8", with(func(b *Buyer) { b.Name = "\xff\xfe" }), askAll, "name", "err_field_control"},
		{"address escape", with(func(b *Buyer) { b.Address = "龙井路 1 号\x1b[2J" }), askAll, "address", "err_field_control"},
		{"address short", with(func(b *Buyer) { b.Address = "杭州" }), askAll, "address", "err_field_too_short"},
		{"address too long", with(func(b *Buyer) { b.Address = strings.Repeat("路", MaxBuyerAddressLen+1) }), askAll, "address", "err_field_too_long"},
		{"address missing", with(func(b *Buyer) { b.Address = "" }), askAll, "address", "err_field_required"},
		{"note too long", with(func(b *Buyer) { b.Note = strings.Repeat("注", MaxBuyerNoteLen+1) }), askAll, "note", "err_field_too_long"},
		{"note line separator", with(func(b *Buyer) { b.Note = "a\u2028b" }), askAll, "note", "err_field_control"},
		{"phone not asked", Buyer{Name: "张三", Phone: "13800138000"}, BuyerFields{Name: true}, "phone", "err_field_not_asked"},
		{"address not asked", Buyer{Address: "某地某路 1 号"}, BuyerFields{}, "address", "err_field_not_asked"},
		{"note not asked", Buyer{Note: "x"}, BuyerFields{Name: false}, "note", "err_field_not_asked"},
	}
	for _, tt := range tests {
		bad := tt.b.Normalize().Validate(tt.ask)
		switch {
		case tt.field == "" && len(bad) != 0:
			t.Errorf("%s: refused %v, want valid", tt.name, bad)
		case tt.field != "" && bad[tt.field] != tt.key:
			t.Errorf("%s: %v, want %s: %s", tt.name, bad, tt.field, tt.key)
		}
	}
}

func TestBuyerNormalize(t *testing.T) {
	got := Buyer{Name: "  张三 ", Phone: " 138 0013 8000 ", Address: "\t杭州市 \n", Note: " "}.Normalize()
	if got != (Buyer{Name: "张三", Phone: "13800138000", Address: "杭州市"}) {
		t.Errorf("Normalize = %+v", got)
	}
	if !(Buyer{}).Empty() || got.Empty() {
		t.Error("Empty is wrong")
	}
}

func TestParseYuan(t *testing.T) {
	valid := map[string]Money{
		"58": 5800, "9.9": 990, "0.01": 1, "58.00": 5800, "1,280.50": 128050, "¥12": 1200, "￥12.5": 1250,
		" ¥ 3.20 ": 320, "0": 0, "1,000,000": 100000000, "9999999999.99": 999999999999,
	}
	for in, want := range valid {
		if got, err := ParseYuan(in); err != nil || got != want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", " ", "-1", "+1", "1e3", "0.001", "01", " . ", ".5", "5.", "1.2.3", "１２", "12元",
		"NaN", "Inf", "0x10", "1_000", "1,2,3", ",5", "1,00", "1000,000", "12,345,67", "10000000000", "99999999999999999999",
		"¥", "¥-1", "1 000", "5\x00"} {
		if got, err := ParseYuan(in); err == nil {
			t.Errorf("ParseYuan(%q) = %d, want an error", in, got)
		}
	}
}

func TestProductValidate(t *testing.T) {
	stock := func(n int) *int { return &n }
	ok := Product{SKU: "TEA-100g", Name: "西湖龙井", NameEN: "Longjing tea", Description: "明前\n特级", Price: 3800}
	with := func(change func(*Product)) Product { p := ok; change(&p); return p }
	tests := []struct {
		name, field string
		p           Product
	}{
		{"valid", "", ok},
		{"stock 0", "", with(func(p *Product) { p.Stock = stock(0) })},
		{"max price", "", with(func(p *Product) { p.Price = MaxProductPrice })},
		{"bad sku", "sku", with(func(p *Product) { p.SKU = "茶" })},
		{"empty sku", "sku", with(func(p *Product) { p.SKU = "" })},
		{"no name", "name", with(func(p *Product) { p.Name = "  " })},
		{"name too long", "name", with(func(p *Product) { p.Name = strings.Repeat("茶", MaxProductNameLen+1) })},
		{"name line break", "name", with(func(p *Product) { p.Name = "茶\n叶" })},
		{"name_en RTL", "name_en", with(func(p *Product) { p.NameEN = "tea\u202e" })},
		{"description too long", "description", with(func(p *Product) { p.Description = strings.Repeat("好", MaxProductDescLen+1) })},
		{"description_en control", "description_en", with(func(p *Product) { p.DescriptionEN = "a\x07" })},
		{"price 0", "price", with(func(p *Product) { p.Price = 0 })},
		{"price negative", "price", with(func(p *Product) { p.Price = -1 })},
		{"price too high", "price", with(func(p *Product) { p.Price = MaxProductPrice + 1 })},
		{"stock negative", "stock", with(func(p *Product) { p.Stock = stock(-1) })},
		{"stock too high", "stock", with(func(p *Product) { p.Stock = stock(MaxStock + 1) })},
	}
	for _, tt := range tests {
		bad := tt.p.Validate()
		if tt.field == "" && len(bad) != 0 || tt.field != "" && bad[tt.field] == "" {
			t.Errorf("%s: %v, want %q refused", tt.name, bad, tt.field)
		}
	}
}

func TestShopSettingsValidate(t *testing.T) {
	ok := ShopSettings{ShopName: "茶舍", ShopNameEN: "Tea house", MerchantName: "杭州茶舍有限公司", Contact: "0571-12345678", Footer: "营业时间 9:00–18:00\n周日休息"}
	with := func(change func(*ShopSettings)) ShopSettings { s := ok; change(&s); return s }
	tests := []struct {
		name, field, key string
		s                ShopSettings
	}{
		{"valid", "", "", ok},
		{"no shop name", "shop_name", "err_field_required", with(func(s *ShopSettings) { s.ShopName = " " })},
		{"shop name too long", "shop_name", "err_field_too_long", with(func(s *ShopSettings) { s.ShopName = strings.Repeat("店", MaxShopNameLen+1) })},
		{"shop name line break", "shop_name", "err_field_control", with(func(s *ShopSettings) { s.ShopName = "茶\n舍" })},
		{"merchant RTL", "merchant_name", "err_field_control", with(func(s *ShopSettings) { s.MerchantName = "\u202e司公" })},
		{"contact too long", "contact", "err_field_too_long", with(func(s *ShopSettings) { s.Contact = strings.Repeat("1", MaxContactLen+1) })},
		{"footer control", "footer", "err_field_control", with(func(s *ShopSettings) { s.Footer = "a\x00" })},
		{"footer too long", "footer", "err_field_too_long", with(func(s *ShopSettings) { s.Footer = strings.Repeat("字", MaxFooterLen+1) })},
		{"bad UTF-8", "shop_name_en", "err_field_control", with(func(s *ShopSettings) { s.ShopNameEN = "\xc3" })},
	}
	for _, tt := range tests {
		bad := tt.s.Validate()
		if tt.field == "" && len(bad) != 0 || tt.field != "" && bad[tt.field] != tt.key {
			t.Errorf("%s: %v, want %s: %s", tt.name, bad, tt.field, tt.key)
		}
	}
}

func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"58", "9.9", "0.01", "1,280.50", "¥12", "￥0.5", "-1", "1e3", "01", "9999999999.99", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseYuan(s)
		if err != nil {
			return
		}
		if m < 0 || m > 999999999999 {
			t.Fatalf("ParseYuan(%q) = %d out of range", s, m)
		}
		back, err := ParseYuan(m.Yuan())
		if err != nil || back != m {
			t.Fatalf("ParseYuan(%q) = %d, but ParseYuan(%q) = %d, %v", s, m, m.Yuan(), back, err)
		}
	})
}

func FuzzBuyerValidate(f *testing.F) {
	f.Add("张三", "+86 138 0013 8000", "浙江省杭州市西湖区", "note", uint8(15))
	f.Add("a\u202eb", "12345", "x", "\x00", uint8(7))
	f.Fuzz(func(t *testing.T, name, phone, address, note string, ask uint8) {
		fields := BuyerFields{Name: ask&1 != 0, Phone: ask&2 != 0, Address: ask&4 != 0, Note: ask&8 != 0}
		b := Buyer{Name: name, Phone: phone, Address: address, Note: note}.Normalize()
		if len(b.Validate(fields)) != 0 {
			return
		}
		for field, v := range map[string]string{"name": b.Name, "phone": b.Phone, "address": b.Address, "note": b.Note} {
			if !utf8.ValidString(v) || hasControl(v) {
				t.Fatalf("accepted %s %q with invalid UTF-8 or a control character", field, v)
			}
			for _, r := range v {
				if unicode.IsControl(r) && r != '\n' && r != '\r' || (field == "name" || field == "phone") && (r == '\n' || r == '\r') {
					t.Fatalf("accepted %s %q with control %U", field, v, r)
				}
			}
		}
		if !fields.Name && b.Name != "" || !fields.Phone && b.Phone != "" || !fields.Address && b.Address != "" || !fields.Note && b.Note != "" {
			t.Fatalf("accepted a detail not asked: %+v for %+v", b, fields)
		}
		if utf8.RuneCountInString(b.Name) > MaxBuyerNameLen || utf8.RuneCountInString(b.Address) > MaxBuyerAddressLen ||
			utf8.RuneCountInString(b.Note) > MaxBuyerNoteLen {
			t.Fatalf("accepted over-long details %+v", b)
		}
	})
}
