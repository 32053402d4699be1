package wxpay

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBodySize caps every message this package reads: WeChat's own messages
// are a few hundred bytes, so anything near this is an attack or a mistake.
const MaxBodySize = 64 << 10

// Decode parses a WeChat Pay message: one flat <xml> element whose children
// are text-only fields, in CDATA or bare. It refuses what WeChat never sends
// and attackers do: DOCTYPE and ENTITY declarations (XXE, billion laughs),
// comments, processing instructions other than the XML declaration, nested
// elements, attributes, repeated fields, other roots, non-UTF-8 text and
// bodies over MaxBodySize. Entities other than the five predefined ones and
// character references are refused, so nothing is ever resolved from outside.
func Decode(body []byte) (Params, error) { return DecodeRoot(body, "xml") }

// DecodeRoot is Decode for a document whose root element is named root
// rather than xml: a refund notification's decrypted req_info is a <root>.
// The same safety rules apply.
func DecodeRoot(body []byte, root string) (Params, error) {
	if len(body) > MaxBodySize {
		return nil, fmt.Errorf("%w: body of %d bytes exceeds %d", ErrTooLarge, len(body), MaxBodySize)
	}
	// One string for the whole body: field names and plain values are
	// substrings of it, so decoding costs an allocation per message, not per field.
	d := decoder{s: string(body), root: root, openTag: "<xml", closeTag: "</xml"}
	if root != "xml" {
		d.openTag, d.closeTag = "<"+root, "</"+root
	}
	if !utf8.ValidString(d.s) {
		return nil, xmlErr(0, "not UTF-8")
	}
	return d.document()
}

type decoder struct {
	s    string
	pos  int
	root string // the root element's name: xml, or root inside req_info
	// "<root" and "</root", made once: concatenating them per field would
	// cost an allocation each on the notification hot path.
	openTag, closeTag string
}

func xmlErr(pos int, format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", ErrMalformedXML, pos, fmt.Sprintf(format, args...))
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\r', '\n':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) rest() string { return d.s[d.pos:] }

func (d *decoder) document() (Params, error) {
	d.s = strings.TrimPrefix(d.s, "\uFEFF")
	d.skipSpace()
	if strings.HasPrefix(d.rest(), "<?") {
		if err := d.declaration(); err != nil {
			return nil, err
		}
		d.skipSpace()
	}
	if strings.HasPrefix(d.rest(), "<!") {
		return nil, xmlErr(d.pos, "declarations, DOCTYPE and comments are refused")
	}
	if !strings.HasPrefix(d.rest(), d.openTag) {
		return nil, xmlErr(d.pos, "root element must be <%s>", d.root)
	}
	d.pos += len(d.openTag)
	d.skipSpace()
	if !strings.HasPrefix(d.rest(), ">") {
		return nil, xmlErr(d.pos, "root element <%s> takes no attributes", d.root)
	}
	d.pos++
	p := make(Params, 24)
	for {
		d.skipSpace()
		if strings.HasPrefix(d.rest(), d.closeTag) {
			d.pos += len(d.closeTag)
			d.skipSpace()
			if !strings.HasPrefix(d.rest(), ">") {
				return nil, xmlErr(d.pos, "bad </%s> end tag", d.root)
			}
			d.pos++
			d.skipSpace()
			if d.pos != len(d.s) {
				return nil, xmlErr(d.pos, "content after </%s>", d.root)
			}
			return p, nil
		}
		name, value, err := d.field()
		if err != nil {
			return nil, err
		}
		// One map operation per field: a repeated name does not grow the map.
		n := len(p)
		p[name] = value
		if len(p) == n {
			return nil, xmlErr(d.pos, "field %q repeated", name)
		}
	}
}

// declaration accepts only <?xml ...?>; other processing instructions are refused.
func (d *decoder) declaration() error {
	r := d.rest()
	if !strings.HasPrefix(r, "<?xml") || len(r) < 6 || (r[5] != ' ' && r[5] != '?' && r[5] != '\t' && r[5] != '\r' && r[5] != '\n') {
		return xmlErr(d.pos, "processing instructions are refused")
	}
	end := strings.Index(r, "?>")
	if end < 0 {
		return xmlErr(d.pos, "unterminated XML declaration")
	}
	d.pos += end + 2
	return nil
}

// field reads <name>value</name> or <name/>.
func (d *decoder) field() (name, value string, err error) {
	start := d.pos
	if !strings.HasPrefix(d.rest(), "<") {
		return "", "", xmlErr(d.pos, "text outside a field")
	}
	d.pos++
	name = d.name()
	if name == "" {
		if strings.HasPrefix(d.rest(), "!") {
			return "", "", xmlErr(start, "declarations, DOCTYPE and comments are refused")
		}
		return "", "", xmlErr(start, "expected a field element")
	}
	d.skipSpace()
	if strings.HasPrefix(d.rest(), "/>") {
		d.pos += 2
		return name, "", nil
	}
	if !strings.HasPrefix(d.rest(), ">") {
		return "", "", xmlErr(d.pos, "field <%s> takes no attributes", name)
	}
	d.pos++
	value, err = d.content()
	if err != nil {
		return "", "", err
	}
	// content stops at "</"
	d.pos += 2
	if !strings.HasPrefix(d.rest(), name) {
		return "", "", xmlErr(d.pos, "field <%s> closed by another tag", name)
	}
	d.pos += len(name)
	d.skipSpace()
	if !strings.HasPrefix(d.rest(), ">") {
		return "", "", xmlErr(d.pos, "bad end tag of <%s>", name)
	}
	d.pos++
	return name, value, nil
}

func isNameByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		return true
	case '0' <= c && c <= '9', c == '-', c == '.':
		return !first
	}
	return false
}

func (d *decoder) name() string {
	start := d.pos
	for d.pos < len(d.s) && isNameByte(d.s[d.pos], d.pos == start) {
		d.pos++
	}
	return d.s[start:d.pos]
}

// content reads text and CDATA up to the field's end tag, leaving pos on "</".
// A value made of one plain run or one CDATA section is returned as a
// substring; only mixed content or entities build a new string.
//
// Every byte is looked at a bounded number of times: the end of a text run
// is found once, and its entities are decoded in one pass into one buffer.
// Searching for the next '<' again after each entity made a value of 64 KiB
// of "&lt;" quadratic.
func (d *decoder) content() (string, error) {
	var v value
	for {
		r := d.rest()
		switch {
		case r == "":
			return "", xmlErr(d.pos, "unexpected end of document")
		case strings.HasPrefix(r, "</"):
			return v.String(), nil
		case strings.HasPrefix(r, "<![CDATA["):
			end := strings.Index(r[9:], "]]>")
			if end < 0 {
				return "", xmlErr(d.pos, "unterminated CDATA section")
			}
			v.add(r[9 : 9+end])
			d.pos += 9 + end + 3
		case r[0] == '<':
			return "", xmlErr(d.pos, "nested elements, comments and declarations are refused")
		default:
			n := strings.IndexByte(r, '<')
			if n < 0 {
				return "", xmlErr(d.pos, "unexpected end of document")
			}
			if err := d.text(r[:n], &v); err != nil {
				return "", err
			}
		}
	}
}

// value collects one field's text. A single part stays a substring of the
// body; a second part or an entity switches to the buffer.
type value struct {
	single   string
	any      bool
	buffered bool
	b        strings.Builder
}

func (v *value) add(s string) {
	switch {
	case v.buffered:
		v.b.WriteString(s)
	case !v.any:
		v.single, v.any = s, true
	default:
		v.buffer(len(s))
		v.b.WriteString(s)
	}
}

// buffer switches v to its buffer, with room for more bytes after what it holds.
func (v *value) buffer(more int) {
	if v.buffered {
		v.b.Grow(more)
		return
	}
	v.b.Grow(len(v.single) + more)
	v.b.WriteString(v.single)
	v.buffered, v.any = true, true
}

func (v *value) String() string {
	if v.buffered {
		return v.b.String()
	}
	return v.single
}

// text decodes run, a stretch of character data holding no '<', into v.
func (d *decoder) text(run string, v *value) error {
	amp := strings.IndexByte(run, '&')
	if amp < 0 {
		v.add(run)
		d.pos += len(run)
		return nil
	}
	// Every reference is at least 3 bytes longer than what it stands for
	// ("&lt;" is "<", "&#x80;" two bytes), so this is room enough for the
	// whole run and the buffer is sized once. A stray '&' (refused below)
	// can make the estimate negative.
	v.buffer(max(0, len(run)-3*strings.Count(run, "&")))
	for {
		v.b.WriteString(run[:amp])
		d.pos += amp
		n, err := d.entity(run[amp:], &v.b)
		if err != nil {
			return err
		}
		d.pos += n
		run = run[amp+n:]
		if amp = strings.IndexByte(run, '&'); amp < 0 {
			v.b.WriteString(run)
			d.pos += len(run)
			return nil
		}
	}
}

// entity decodes the reference at the start of r (which begins with '&')
// into b and returns its length: one of the five predefined entities or a
// character reference. Any other name would need a DTD, and DTDs are refused.
func (d *decoder) entity(r string, b *strings.Builder) (int, error) {
	end := strings.IndexByte(r[:min(len(r), 13)], ';')
	if end < 0 {
		return 0, xmlErr(d.pos, "bad entity reference")
	}
	ref := r[1:end]
	switch ref {
	case "lt":
		b.WriteByte('<')
	case "gt":
		b.WriteByte('>')
	case "amp":
		b.WriteByte('&')
	case "quot":
		b.WriteByte('"')
	case "apos":
		b.WriteByte('\'')
	default:
		c, ok := charRef(ref)
		if !ok {
			return 0, xmlErr(d.pos, "entity &%s; is refused", ref)
		}
		b.WriteRune(c)
	}
	return end + 1, nil
}

// charRef reads "#123" or "#x7B" as a character other than NUL.
func charRef(ref string) (rune, bool) {
	if !strings.HasPrefix(ref, "#") {
		return 0, false
	}
	var n uint64
	var err error
	if strings.HasPrefix(ref, "#x") {
		n, err = strconv.ParseUint(ref[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(ref[1:], 10, 32)
	}
	if err != nil || n == 0 || !utf8.ValidRune(rune(n)) {
		return 0, false
	}
	return rune(n), true
}

// Encode writes p as a flat <xml> with fields in name order. Values that are
// not plain digits go in CDATA; a "]]>" inside a value is split across two
// CDATA sections so that every value survives a round trip.
func Encode(p Params) []byte { return encodeRoot(p, "xml") }

func encodeRoot(p Params, root string) []byte {
	keys := make([]string, 0, len(p))
	size := len("<></>") + 2*len(root)
	for k, v := range p {
		keys = append(keys, k)
		size += 2*len(k) + len(v) + len("<></><![CDATA[]]>")
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '<')
	b = append(b, root...)
	b = append(b, '>')
	for _, k := range keys {
		b = appendField(b, k, p[k])
	}
	b = append(b, "</"...)
	b = append(b, root...)
	return append(b, '>')
}

func appendField(b []byte, k, v string) []byte {
	b = append(b, '<')
	b = append(b, k...)
	b = append(b, '>')
	if isDigits(v) {
		b = append(b, v...)
	} else {
		b = append(b, "<![CDATA["...)
		b = append(b, strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>")...)
		b = append(b, "]]>"...)
	}
	b = append(b, "</"...)
	b = append(b, k...)
	return append(b, '>')
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
