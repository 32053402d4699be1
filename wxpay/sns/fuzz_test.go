package sns

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeReply: whatever WeChat (or anyone between) sends, decodeReply
// does not panic, and what it accepts is valid JSON whose fields
// encoding/json reads the same way.
func FuzzDecodeReply(f *testing.F) {
	for _, s := range []string{
		`{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","session_key":"k==","unionid":"u"}`,
		`{"errcode":40029,"errmsg":"invalid code"}`,
		`{"openid":"a","OPENID":"b"}`,
		`{"openid":"a"} {}`,
		`{"a":{"b":[1,2,{"c":null}]},"openid":"x"}`,
		`[]`, ``, `{`, `{"errcode":"1"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeReply(b)
		if err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		var again reply
		if err := json.Unmarshal(b, &again); err != nil || again != *r {
			t.Fatalf("decoded %+v, encoding/json %+v (%v)", *r, again, err)
		}
	})
}
