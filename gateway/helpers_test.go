package gateway_test

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// testKey is a merchant key as the admin page makes them: 32 letters and
// digits.
const testKey = "5f1HcjA0qk8sUc3fZpWbQ2rXy7Nd9LmT"

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// phpKsort returns the names in the order PHP's ksort puts them; for the
// non-numeric names epay uses that is byte order.
func phpKsort(p map[string]string) []string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// dujiaokaSign signs the way dujiaoka's 易支付 plugin does, on the request it
// sends and on the notification it receives: ksort, skip empty values and
// sign/sign_type, "k=v" joined by "&", md5(str . key). Written apart from
// EpaySign so the tests do not check the package against itself.
func dujiaokaSign(p map[string]string, key string) string {
	str := ""
	for _, k := range phpKsort(p) {
		if p[k] == "" || k == "sign" || k == "sign_type" {
			continue
		}
		if str != "" {
			str += "&"
		}
		str += k + "=" + p[k]
	}
	return md5Hex(str + key)
}

// v2boardSign signs the way v2board's EPay plugin does: unset sign and
// sign_type, ksort, stripslashes(urldecode(http_build_query($params))) . key.
// http_build_query keeps empty values ("k="), so every field it receives is
// signed, empty ones included; urldecode gives the raw values back.
func v2boardSign(p map[string]string, key string) string {
	parts := make([]string, 0, len(p))
	for _, k := range phpKsort(p) {
		if k == "sign" || k == "sign_type" {
			continue
		}
		parts = append(parts, k+"="+p[k])
	}
	return md5Hex(stripslashes(strings.Join(parts, "&")) + key)
}

// stripslashes is PHP's: a backslash escapes the byte after it.
func stripslashes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			if i == len(s) {
				break
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// flat turns url.Values into what PHP's $_GET holds: one value per name.
func flat(v url.Values) map[string]string {
	m := make(map[string]string, len(v))
	for k := range v {
		m[k] = v.Get(k)
	}
	return m
}
