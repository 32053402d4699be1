package handlers

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func fieldMap(ex exchange) map[string]exchangeField {
	m := make(map[string]exchangeField)
	for _, f := range ex.Fields {
		m[f.Name] = f
	}
	return m
}

func TestFormatExchangeNamesV2Fields(t *testing.T) {
	raw := `<xml><return_code><![CDATA[SUCCESS]]></return_code><out_trade_no><![CDATA[20261122A]]></out_trade_no>
<transaction_id>4200001234567890123456789012</transaction_id><total_fee>5800</total_fee><time_end>20261122180500</time_end>
<sign>0123456789ABCDEF0123456789ABCDEF</sign><coupon_fee_0></coupon_fee_0><weird_field>x &amp; y</weird_field></xml>`
	for _, tt := range []struct {
		l     Lang
		label string
	}{{LangZH, "商户订单号"}, {LangEN, "Merchant order no."}} {
		ex := formatExchange(raw, tt.l)
		m := fieldMap(ex)
		if len(ex.Fields) != 8 || m["out_trade_no"].Value != "20261122A" || m["out_trade_no"].Label != tt.label {
			t.Fatalf("%s: fields %+v", tt.l, ex.Fields)
		}
		if m["transaction_id"].Value != "4200001234567890123456789012" || m["weird_field"].Label != "" || m["weird_field"].Value != "x & y" {
			t.Errorf("%s: fields %+v", tt.l, ex.Fields)
		}
		if s := m["sign"].Value; s != "01234567…CDEF" {
			t.Errorf("sign shown as %q, want shortened", s)
		}
		if ex.Raw != raw {
			t.Error("the raw text is not kept")
		}
	}
	if l := fieldMap(formatExchange(raw, LangZH))["total_fee"].Label; l != "订单金额(分)" {
		t.Errorf("total_fee label %q", l)
	}
}

func TestFormatExchangeV3JSONAndNotifications(t *testing.T) {
	ex := formatExchange(`{"out_trade_no":"A1","amount":{"total":100,"payer_total":100,"currency":"CNY"},"payer":{"openid":"o1"},"trade_state":"SUCCESS","success_time":"2026-11-22T18:05:00+08:00","promotion_detail":[1,2]}`, LangEN)
	m := fieldMap(ex)
	if m["amount.total"].Value != "100" || m["amount.total"].Label != "Order amount (fen)" || m["payer.openid"].Value != "o1" ||
		m["promotion_detail"].Value != "[1,2]" || m["trade_state"].Label != "Trade state" {
		t.Errorf("v3 fields %+v", ex.Fields)
	}
	ex = formatExchange("GET https://shop.example/notify?pid=1001&trade_no=2026&money=9.90&sign=abcdef0123456789abcdef0123456789&sign_type=MD5", LangZH)
	m = fieldMap(ex)
	if ex.Head == "" || m["money"].Value != "9.90" || m["money"].Label != "金额(元)" || m["sign"].Value != "abcdef01…6789" {
		t.Errorf("epay notification %+v", ex)
	}
	ex = formatExchange("POST https://shop.example/hook\n\n{\"event\":\"order.paid\",\"data\":{\"out_trade_no\":\"M1\"}}", LangZH)
	if m = fieldMap(ex); m["data.out_trade_no"].Value != "M1" || m["event"].Value != "order.paid" {
		t.Errorf("webhook %+v", ex)
	}
	if m := fieldMap(formatExchange(`{"key":"secret-value","api_v3_key":"k"}`, LangZH)); m["key"].Value == "secret-value" || m["api_v3_key"].Value == "k" {
		t.Error("a key is shown")
	}
	if ex := formatExchange("success", LangZH); len(ex.Fields) != 0 || ex.Raw != "success" {
		t.Errorf("plain text %+v", ex)
	}
}

// Hostile or odd input is never formatted: it stays raw (the template
// escapes it), and nothing expands.
func TestFormatExchangeRefusesHostileXML(t *testing.T) {
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><a>&lol2;</a></xml>`
	for _, raw := range []string{
		bomb,
		`<!DOCTYPE x SYSTEM "file:///etc/passwd"><xml><a>&xxe;</a></xml>`,
		`<xml><a><b>nested</b></a></xml>`,
		`<xml><a>1</a>`,
		`<xml><a>1</a></xml><xml><b>2</b></xml>`,
		`<xml>text<a>1</a></xml>`,
		`{"a":1} {"b":2}`,
		`{"a":{"b":{"c":{"d":{"e":1}}}}}`[:10],
		"<xml><a>" + strings.Repeat("x", maxExchangeBytes) + "</a></xml>",
		"<xml>" + strings.Repeat("<a>1</a>", maxExchangeFields+1) + "</xml>",
		"\xff\xfe<xml/>",
	} {
		ex := formatExchange(raw, LangZH)
		if len(ex.Fields) != 0 || ex.Raw != raw {
			t.Errorf("%.60q formatted as %+v", raw, ex.Fields)
		}
	}
}

func FuzzFormatExchange(f *testing.F) {
	for _, s := range []string{
		`<xml><return_code><![CDATA[SUCCESS]]></return_code><sign>ABC</sign></xml>`,
		`{"amount":{"total":1},"payer":{"openid":"o"},"a":[1,{"b":2}]}`,
		"GET https://x.example/n?pid=1&sign=abcdefabcdefabcdef",
		"POST https://x.example/n\n\n{\"a\":\"b\"}",
		`<!DOCTYPE x [<!ENTITY a "b">]><xml><a>&a;</a></xml>`,
		`a=1&b=2`, `<xml><a>&#x0;</a></xml>`, "{\"sign\":\"\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87\"}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, l := range []Lang{LangZH, LangEN} {
			ex := formatExchange(raw, l)
			if ex.Raw != raw {
				t.Fatal("raw text lost")
			}
			if len(ex.Fields) > maxExchangeFields {
				t.Fatalf("%d fields", len(ex.Fields))
			}
			total := 0
			for _, fl := range ex.Fields {
				if !utf8.ValidString(fl.Value) || !utf8.ValidString(fl.Name) {
					t.Fatalf("invalid UTF-8 in %+v", fl)
				}
				total += len(fl.Value)
			}
			if len(ex.Fields) > 0 && total > len(raw)+len(ex.Fields)*8 {
				t.Fatalf("the fields (%d bytes) outgrew the input (%d): something expanded", total, len(raw))
			}
		}
	})
}
