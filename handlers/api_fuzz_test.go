package handlers

import (
	"encoding/json"
	"testing"
)

// FuzzOneJSONObject: whatever the body, the API's JSON reader never panics,
// and what it accepts is one object whose every value is valid JSON — the
// same object encoding/json reads, with no name twice.
func FuzzOneJSONObject(f *testing.F) {
	for _, s := range []string{`{"out_trade_no":"A1","amount":100,"name":"x"}`, `{}`, `{"a":1,"a":2}`, `{"a":1} {}`,
		`[1]`, `{"a":{"b":[1,2,{"c":null}]}}`, `{"a":"\u0000\ud800"}`, ` {"a" : 1 } `, `{"a":1,}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := oneJSONObject(body)
		if err != nil {
			return
		}
		var std map[string]json.RawMessage
		if err := json.Unmarshal(body, &std); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		if len(std) != len(raw) {
			t.Fatalf("accepted %q with %d names, encoding/json sees %d", body, len(raw), len(std))
		}
		for k, v := range raw {
			if !json.Valid(v) {
				t.Fatalf("value of %q is not valid JSON: %q", k, v)
			}
		}
	})
}
