package wxpay_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"wxcheckout/wxpay"
)

const (
	seedXXE     = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><return_code>&xxe;</return_code></xml>`
	seedLaughs  = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><a>&lol3;</a></xml>`
	seedMixed   = "<xml>\n<return_code><![CDATA[SUCCESS]]></return_code>\n<total_fee>1</total_fee><a>x<![CDATA[]]]]><![CDATA[>]]>&amp;&#x4e2d;</a><b/></xml>"
	seedProlog  = "\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<xml><a>1</a></xml>\n"
	seedComment = `<xml><!-- x --><a>1</a></xml>`
)

// fuzzSeeds are real-looking notifications and hostile documents.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	hmacBare := notificationBody(tb, wxpay.SignHMACSHA256)
	md5Coupons := notificationFields()
	md5Coupons["sign_type"] = "MD5"
	md5Coupons["coupon_fee_1"] = "50"
	md5Coupons["coupon_type_0"] = "CASH"
	md5Coupons["promotion_detail"] = `{"promotion_detail":[{"promotion_id":"109519","amount":5}]}`
	unpaid := notificationFields()
	unpaid["result_code"] = "FAIL"
	unpaid["err_code"] = "SYSTEMERROR"
	return [][]byte{
		hmacBare,
		[]byte(strings.ReplaceAll(strings.ReplaceAll(string(hmacBare), "<![CDATA[", ""), "]]>", "")), // all bare
		wxpay.Encode(signed(tb, md5Coupons, testKey, wxpay.SignMD5)),
		wxpay.Encode(signed(tb, unpaid, testKey, wxpay.SignHMACSHA256)),
		wxpay.Encode(signed(tb, officialFields(), testKey, wxpay.SignMD5)),
		wxpay.SuccessReply,
		wxpay.FailReply("签名失败"),
		[]byte(seedXXE), []byte(seedLaughs), []byte(seedMixed), []byte(seedProlog), []byte(seedComment),
		[]byte("<xml><a>&#xD800;&foo;</a></xml>"),
		[]byte(""),
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := wxpay.Decode(body)
		if err != nil {
			if !errors.Is(err, wxpay.ErrMalformedXML) && !errors.Is(err, wxpay.ErrTooLarge) {
				t.Fatalf("Decode error %v wraps neither ErrMalformedXML nor ErrTooLarge", err)
			}
			return
		}
		enc := wxpay.Encode(p)
		q, err := wxpay.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(%q)) = %v\nxml: %q", p, err, enc)
		}
		if !maps.Equal(p, q) {
			t.Fatalf("round trip changed the fields:\n got %q\nwant %q", q, p)
		}
	})
}

// FuzzVerify checks Verify against the reference implementation on any
// decodable message, then signs the message afresh and checks that changing
// any field in a way that changes the string to sign breaks verification.
func FuzzVerify(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, "total_fee", "1")
		f.Add(s, "coupon_fee_0", "")
		f.Add(s, "promotion_detail", `{"x":1}`)
		f.Add(s, "sign_type", []string{"MD5", "HMAC-SHA256", "SHA1"}[i%3])
	}
	f.Fuzz(func(t *testing.T, body []byte, field, value string) {
		p, err := wxpay.Decode(body)
		if err != nil {
			return
		}
		err = wxpay.Verify(p, testKey)
		if want := refVerifies(p, testKey); (err == nil) != want {
			t.Fatalf("Verify(%q) = %v, reference says verifies=%v", p, err, want)
		}

		// Sign + Verify round trip over arbitrary fields.
		st := wxpay.SignHMACSHA256
		switch p["sign_type"] {
		case "", "HMAC-SHA256":
		case "MD5":
			st = wxpay.SignMD5
		default:
			delete(p, "sign_type")
		}
		delete(p, "sign")
		sign, err := wxpay.Sign(p, testKey, st)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if want := refSign(p, testKey, st); sign != want {
			t.Fatalf("Sign(%q) = %s, reference %s", p, sign, want)
		}
		p["sign"] = sign
		if err := wxpay.Verify(p, testKey); err != nil {
			t.Fatalf("Verify(Sign(%q)) = %v", p, err)
		}

		// Tampering.
		if field == "sign" {
			return
		}
		q := clone(p)
		q[field] = value
		err = wxpay.Verify(q, testKey)
		if refCanonical(q, testKey) != refCanonical(p, testKey) && err == nil {
			t.Fatalf("Verify accepted %s=%q changed to %q", field, p[field], value)
		}
	})
}

func FuzzParseNotification(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := wxpay.ParseNotification(body, testKey)
		if err != nil {
			return
		}
		if !refVerifies(n.Fields, testKey) {
			t.Fatalf("ParseNotification accepted a message whose sign does not verify: %q", n.Fields)
		}
		if n.Fields["return_code"] != "SUCCESS" || n.OutTradeNo == "" {
			t.Fatalf("ParseNotification accepted %q", n.Fields)
		}
		if n.Paid() && (n.TotalFee <= 0 || n.TransactionID == "" || n.TimeEnd.IsZero()) {
			t.Fatalf("paid notification with TotalFee=%d TransactionID=%q TimeEnd=%v", n.TotalFee, n.TransactionID, n.TimeEnd)
		}
	})
}
