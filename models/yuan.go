package models

import (
	"fmt"
	"regexp"
	"strings"
)

// ParseYuan reads an amount the owner typed in yuan ("58", "9.9", "0.01",
// "1,280.00") as fen. It never goes through a float.
func ParseYuan(s string) (Money, error) {
	s = strings.TrimSpace(s)
	for _, sign := range []string{"¥", "￥"} { // the full-width sign of Chinese keyboards too
		s = strings.TrimSpace(strings.TrimPrefix(s, sign))
	}
	whole, _, _ := strings.Cut(s, ".")
	if strings.Contains(whole, ",") { // thousands separators, in their places only
		if !thousands.MatchString(whole) {
			return 0, fmt.Errorf("not an amount in yuan: %q", s)
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	if !yuanPattern.MatchString(s) {
		return 0, fmt.Errorf("not an amount in yuan: %q", s)
	}
	whole, frac, _ := strings.Cut(s, ".")
	var m Money
	for _, c := range whole {
		m = m*10 + Money(c-'0')
	}
	m *= 100
	switch len(frac) {
	case 1:
		m += Money(frac[0]-'0') * 10
	case 2:
		m += Money(frac[0]-'0')*10 + Money(frac[1]-'0')
	}
	return m, nil
}

var (
	yuanPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$`)
	thousands   = regexp.MustCompile(`^[1-9][0-9]{0,2}(,[0-9]{3})+$`)
)
