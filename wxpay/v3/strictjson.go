package wxpayv3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// maxDepth bounds nesting in what WeChat sends (its deepest, a
// promotion_detail's goods_detail, is four levels down).
const maxDepth = 32

// checkJSON accepts exactly one JSON object and nothing after it, with no
// name given twice in any object — not even in another case, since
// encoding/json matches names case-insensitively and would let the second
// one win while our Fields keep the first.
func checkJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if err := walkObject(dec, 1); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	return nil
}

// walkObject reads an object's members after its '{' up to its '}'.
func walkObject(dec *json.Decoder, depth int) error {
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		if err != nil || !ok {
			return fmt.Errorf("%w: bad JSON object", ErrMalformed)
		}
		folded := foldName(name)
		if seen[folded] {
			return fmt.Errorf("%w: JSON name %q given twice", ErrMalformed, clip(name))
		}
		seen[folded] = true
		if err := walkValue(dec, depth); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%w: bad JSON object", ErrMalformed)
	}
	return nil
}

func walkValue(dec *json.Decoder, depth int) error {
	t, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: bad JSON value", ErrMalformed)
	}
	d, ok := t.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= maxDepth {
		return fmt.Errorf("%w: JSON nested over %d levels", ErrMalformed, maxDepth)
	}
	if d == '{' {
		return walkObject(dec, depth+1)
	}
	for dec.More() { // '[': a '}' or ']' here is a syntax error Token reports
		if err := walkValue(dec, depth+1); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%w: bad JSON array", ErrMalformed)
	}
	return nil
}

// foldName maps each rune to the smallest of its case-folding orbit, so
// two names that encoding/json would match to one field fold alike.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

// flatten turns a checked JSON object into flat fields for logs and the
// timeline: nested objects as dotted names (amount.total, payer.openid),
// arrays as their JSON text, null left out.
func flatten(b []byte) (map[string]string, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out := map[string]string{}
	flattenInto(out, "", m)
	return out, nil
}

func flattenInto(out map[string]string, prefix string, m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case nil:
		case string:
			out[prefix+k] = v
		case json.Number:
			out[prefix+k] = v.String()
		case bool:
			out[prefix+k] = fmt.Sprint(v)
		case map[string]any:
			flattenInto(out, prefix+k+".", v)
		default:
			b, _ := encodeJSON(v)
			out[prefix+k] = string(b)
		}
	}
}
