package wxpay_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"wxcheckout/wxpay"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    wxpay.Params
	}{
		{"plain", wxpay.Params{"appid": "wx1", "total_fee": "1"}},
		{"markup", wxpay.Params{"detail": `<goods id="1">a & b</goods>`, "lt": "<", "amp": "&", "gt": ">"}},
		{"cdata end", wxpay.Params{"a": "]]>", "b": "x]]>y]]>z", "c": "]]]]>>", "d": "]", "e": "]]"}},
		{"chinese", wxpay.Params{"body": "腾讯充值中心-QQ会员充值", "attach": "中文 😀"}},
		{"empty", wxpay.Params{"a": "", "b": "x"}},
		{"whitespace", wxpay.Params{"a": " ", "b": "\n\t x \r\n", "c": " 12 "}},
		{"entities literal", wxpay.Params{"a": "&lt;&amp;&#x4e2d;", "b": "<![CDATA[x]]>"}},
		{"digits", wxpay.Params{"a": "0", "b": "0012", "c": "-1", "d": "1.5"}},
		{"none", wxpay.Params{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := wxpay.Encode(tt.p)
			got, err := wxpay.Decode(body)
			if err != nil {
				t.Fatalf("Decode(Encode(%q)) = %v\nxml: %s", tt.p, err, body)
			}
			if !maps.Equal(got, tt.p) {
				t.Errorf("round trip = %q, want %q\nxml: %s", got, tt.p, body)
			}
		})
	}
}

func TestEncodeExact(t *testing.T) {
	got := string(wxpay.Encode(wxpay.Params{"total_fee": "1", "body": "a<b", "x": "]]>"}))
	want := "<xml><body><![CDATA[a<b]]></body><total_fee>1</total_fee><x><![CDATA[]]]]><![CDATA[>]]></x></xml>"
	if got != want {
		t.Errorf("Encode = %s\nwant     %s", got, want)
	}
}

func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want wxpay.Params
	}{
		{"cdata", `<xml><a><![CDATA[x y]]></a></xml>`, wxpay.Params{"a": "x y"}},
		{"bare", `<xml><a>1</a><b>SUCCESS</b></xml>`, wxpay.Params{"a": "1", "b": "SUCCESS"}},
		{"mixed fields", `<xml><a><![CDATA[x]]></a><b>2</b></xml>`, wxpay.Params{"a": "x", "b": "2"}},
		{"mixed in one value", `<xml><a>x<![CDATA[<y>]]>z</a></xml>`, wxpay.Params{"a": "x<y>z"}},
		{"two cdata", `<xml><a><![CDATA[]]]]><![CDATA[>]]></a></xml>`, wxpay.Params{"a": "]]>"}},
		{"predefined entities", `<xml><a>&lt;&gt;&amp;&quot;&apos;</a></xml>`, wxpay.Params{"a": `<>&"'`}},
		{"char refs", `<xml><a>&#x4e2d;&#25991;&#x41;</a></xml>`, wxpay.Params{"a": "中文A"}},
		{"entity inside text", `<xml><a>a &amp; b</a></xml>`, wxpay.Params{"a": "a & b"}},
		{"cdata is not unescaped", `<xml><a><![CDATA[&amp;]]></a></xml>`, wxpay.Params{"a": "&amp;"}},
		{"prolog", `<?xml version="1.0" encoding="UTF-8"?><xml><a>1</a></xml>`, wxpay.Params{"a": "1"}},
		{"prolog and newlines", "<?xml version=\"1.0\"?>\n<xml>\n  <a>1</a>\r\n\t<b><![CDATA[2]]></b>\n</xml>\n", wxpay.Params{"a": "1", "b": "2"}},
		{"bom", "\uFEFF<xml><a>1</a></xml>", wxpay.Params{"a": "1"}},
		{"self-closing", `<xml><a/><b /><c>1</c></xml>`, wxpay.Params{"a": "", "b": "", "c": "1"}},
		{"empty element", `<xml><a></a></xml>`, wxpay.Params{"a": ""}},
		{"space in end tags", `<xml><a>1</a ></xml >`, wxpay.Params{"a": "1"}},
		{"value whitespace kept", `<xml><a> 1 </a></xml>`, wxpay.Params{"a": " 1 "}},
		{"empty root", `<xml></xml>`, wxpay.Params{}},
		{"chinese", `<xml><body>腾讯充值</body></xml>`, wxpay.Params{"body": "腾讯充值"}},
		{"gt in text", `<xml><a>a>b</a></xml>`, wxpay.Params{"a": "a>b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wxpay.Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode(%q) = %v", tt.in, err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("Decode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	billion := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><a>&lol3;</a></xml>`
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"doctype", `<!DOCTYPE xml><xml><a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"entity declaration", `<!ENTITY a "b"><xml><a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"xxe", `<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><a>&xxe;</a></xml>`, wxpay.ErrMalformedXML},
		{"xxe after prolog", `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><a>&xxe;</a></xml>`, wxpay.ErrMalformedXML},
		{"billion laughs", billion, wxpay.ErrMalformedXML},
		{"doctype inside root", `<xml><!DOCTYPE x><a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"undefined entity", `<xml><a>&foo;</a></xml>`, wxpay.ErrMalformedXML},
		{"unterminated entity", `<xml><a>a & b</a></xml>`, wxpay.ErrMalformedXML},
		{"char ref zero", `<xml><a>&#0;</a></xml>`, wxpay.ErrMalformedXML},
		{"char ref surrogate", `<xml><a>&#xD800;</a></xml>`, wxpay.ErrMalformedXML},
		{"char ref too big", `<xml><a>&#x110000;</a></xml>`, wxpay.ErrMalformedXML},
		{"nested", `<xml><a><b>1</b></a></xml>`, wxpay.ErrMalformedXML},
		{"attribute on field", `<xml><a x="1">1</a></xml>`, wxpay.ErrMalformedXML},
		{"attribute on root", `<xml x="1"><a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"other root", `<root><a>1</a></root>`, wxpay.ErrMalformedXML},
		{"root prefix", `<xmlx><a>1</a></xmlx>`, wxpay.ErrMalformedXML},
		{"repeated field", `<xml><a>1</a><a>2</a></xml>`, wxpay.ErrMalformedXML},
		{"comment at top", `<!-- c --><xml><a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"comment between fields", `<xml><!-- c --><a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"comment in value", `<xml><a>1<!-- c --></a></xml>`, wxpay.ErrMalformedXML},
		{"trailing garbage", `<xml><a>1</a></xml>x`, wxpay.ErrMalformedXML},
		{"second root", `<xml><a>1</a></xml><xml></xml>`, wxpay.ErrMalformedXML},
		{"processing instruction", `<?xml-stylesheet href="x"?><xml><a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"pi inside", `<xml><?php x?><a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"other pi", `<?foo bar?><xml></xml>`, wxpay.ErrMalformedXML},
		{"non-utf8", "<xml><a>\xff\xfe</a></xml>", wxpay.ErrMalformedXML},
		{"gbk", "<xml><body>\xb2\xe2\xca\xd4</body></xml>", wxpay.ErrMalformedXML},
		{"text between fields", `<xml>x<a>1</a></xml>`, wxpay.ErrMalformedXML},
		{"mismatched end", `<xml><a>1</b></xml>`, wxpay.ErrMalformedXML},
		{"end tag prefix", `<xml><a>1</ab></xml>`, wxpay.ErrMalformedXML},
		{"unclosed field", `<xml><a>1`, wxpay.ErrMalformedXML},
		{"unclosed root", `<xml><a>1</a>`, wxpay.ErrMalformedXML},
		{"unterminated cdata", `<xml><a><![CDATA[1</a></xml>`, wxpay.ErrMalformedXML},
		{"empty", ``, wxpay.ErrMalformedXML},
		{"json", `{"return_code":"SUCCESS"}`, wxpay.ErrMalformedXML},
		{"html", `<html><body>OK</body></html>`, wxpay.ErrMalformedXML},
		{"namespaced field", `<xml><x:a>1</x:a></xml>`, wxpay.ErrMalformedXML},
		{"too large", `<xml><a>` + strings.Repeat("a", wxpay.MaxBodySize) + `</a></xml>`, wxpay.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := wxpay.Decode([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode(%.80q) = %q, %v; want error %v", tt.in, p, err, tt.want)
			}
		})
	}
}

func TestDecodeSizeCap(t *testing.T) {
	head, tail := "<xml><a>", "</a></xml>"
	fits := head + strings.Repeat("a", wxpay.MaxBodySize-len(head)-len(tail)) + tail
	if _, err := wxpay.Decode([]byte(fits)); err != nil {
		t.Errorf("Decode(body of exactly MaxBodySize) = %v, want nil", err)
	}
	over := head + strings.Repeat("a", wxpay.MaxBodySize-len(head)-len(tail)+1) + tail
	if _, err := wxpay.Decode([]byte(over)); !errors.Is(err, wxpay.ErrTooLarge) {
		t.Errorf("Decode(MaxBodySize+1 bytes) = %v, want ErrTooLarge", err)
	}
}

// TestDecodeDoesNotAlias checks that decoded values do not change when the
// caller reuses the body buffer (values may be substrings of one copy).
func TestDecodeDoesNotAlias(t *testing.T) {
	body := []byte(`<xml><a>hello</a><b><![CDATA[world]]></b></xml>`)
	p, err := wxpay.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'X'
	}
	if p["a"] != "hello" || p["b"] != "world" {
		t.Errorf("after overwriting the body, Decode result = %q", p)
	}
}
