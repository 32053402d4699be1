package wxpaysim

import "errors"

// Why the phone refuses to pay; Refusal gives the text the WeChat app shows.
var (
	ErrUnknownCode  = errors.New("wxpaysim: unknown code_url")
	ErrCodeExpired  = errors.New("wxpaysim: code_url expired")
	ErrOrderExpired = errors.New("wxpaysim: order past its time_expire")
	ErrOrderClosed  = errors.New("wxpaysim: order closed")
	ErrOrderPaid    = errors.New("wxpaysim: order already paid")
)

// Refusal returns what the WeChat app shows the shopper for an error of Pay.
func Refusal(err error) string {
	switch {
	case errors.Is(err, ErrBadPaySign):
		return "签名错误"
	case errors.Is(err, ErrBadPayParams):
		return "支付参数错误，请联系商家解决"
	case errors.Is(err, ErrUnknownPrepay):
		return "订单不存在"
	case errors.Is(err, ErrCodeExpired):
		return "二维码已过期，请刷新页面后重新扫描"
	case errors.Is(err, ErrOrderExpired):
		return "订单已过期，请重新下单"
	case errors.Is(err, ErrOrderClosed):
		return "订单已关闭"
	case errors.Is(err, ErrOrderPaid):
		return "订单已支付，请勿重复支付"
	case errors.Is(err, ErrUnknownCode):
		return "二维码无效"
	case errors.Is(err, ErrClosed):
		return "系统繁忙，请稍后再试"
	}
	return "支付失败"
}
