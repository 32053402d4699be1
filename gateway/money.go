package gateway

import (
	"fmt"
	"strings"

	"wxcheckout/models"
)

// maxYuanDigits bounds the integer part: 99999999.99 yuan is 9999999999 fen,
// far inside int64 and far above anything WeChat accepts.
const maxYuanDigits = 8

// ParseYuan reads money as shop systems send it (PHP printing a float: 58,
// 9.9, 0.01, 58.00): exactly ^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$ and more
// than zero. Digits are added up as integers; a float never touches money.
func ParseYuan(s string) (models.Money, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if !validWhole(whole) || dot && (len(frac) < 1 || len(frac) > 2 || !allDigits(frac)) {
		return 0, fmt.Errorf("%w: %q is not an amount in yuan", ErrBadMoney, s)
	}
	fen, err := models.ParseYuan(s) // the epay form is a narrower case of the admin's
	if err != nil || fen <= 0 {
		return 0, fmt.Errorf("%w: %q is not more than zero", ErrBadMoney, s)
	}
	return fen, nil
}

// validWhole: "0", or one to eight digits without a leading zero.
func validWhole(s string) bool {
	if s == "0" {
		return true
	}
	return len(s) >= 1 && len(s) <= maxYuanDigits && s[0] != '0' && allDigits(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatYuan renders money the way the gateway sends it: two decimals,
// "58.00". ParseYuan reads it back for every amount it accepts.
func FormatYuan(m models.Money) string { return m.Yuan() }
