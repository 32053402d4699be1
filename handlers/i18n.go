package handlers

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// Lang is the page language: Chinese first, English on request.
type Lang string

const (
	LangZH Lang = "zh"
	LangEN Lang = "en"
)

// T returns the text for key in this language.
func (l Lang) T(key string) string {
	s, ok := texts[key]
	if !ok {
		return key
	}
	if l == LangEN {
		return s[1]
	}
	return s[0]
}

// HTMLLang is the value of <html lang>.
func (l Lang) HTMLLang() string {
	if l == LangEN {
		return "en"
	}
	return "zh-CN"
}

const langCookie = "lang"

// language picks the page language: ?lang= (remembered in a cookie), then
// the cookie, then Accept-Language; Chinese when nothing says otherwise.
func (h *Handler) language(c *gin.Context) Lang {
	if q := c.Query("lang"); q == "en" || q == "zh" {
		c.SetSameSite(2) // http.SameSiteLaxMode
		c.SetCookie(langCookie, q, 365*24*3600, "/", "", h.opt.SecureCookies, true)
		return Lang(q)
	}
	if v, err := c.Cookie(langCookie); err == nil && (v == "en" || v == "zh") {
		return Lang(v)
	}
	for _, part := range strings.Split(c.GetHeader("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return LangZH
		case strings.HasPrefix(tag, "en"):
			return LangEN
		}
	}
	return LangZH
}

// texts: key → {Chinese, English}.
var texts = map[string][2]string{
	"shop_name":       {"微信支付示例商店", "WeChat Pay demo shop"},
	"shop_title":      {"商品", "Products"},
	"qty":             {"数量", "Quantity"},
	"buy":             {"微信支付", "Pay with WeChat"},
	"no_products":     {"暂无商品", "Nothing for sale yet"},
	"pay_title":       {"微信扫码支付", "Scan to pay with WeChat"},
	"amount":          {"金额", "Amount"},
	"product":         {"商品", "Product"},
	"order_no":        {"订单号", "Order number"},
	"scan_hint":       {"请打开微信，使用“扫一扫”扫描二维码完成支付", "Open WeChat, tap Scan, and scan the QR code to pay"},
	"expires_in":      {"二维码有效期剩余", "QR code valid for"},
	"expires_at":      {"有效期至", "Valid until"},
	"waiting":         {"等待支付…", "Waiting for payment…"},
	"simulate_scan":   {"模拟扫码（模拟器）", "Simulate scan (simulator)"},
	"paid_title":      {"支付成功", "Payment received"},
	"paid_at":         {"支付时间", "Paid at"},
	"transaction_id":  {"微信支付单号", "WeChat transaction"},
	"expired_title":   {"二维码已过期", "This QR code has expired"},
	"expired_hint":    {"该订单未支付且已失效，请重新获取二维码。", "The order was not paid in time. Get a fresh QR code to pay."},
	"closed_title":    {"订单已关闭", "This order is closed"},
	"failed_title":    {"下单失败", "The order could not be placed"},
	"failed_hint":     {"微信支付未能创建该订单，请重试。", "WeChat Pay could not create this order. Please try again."},
	"renew":           {"重新获取二维码", "Get a new QR code"},
	"back_to_shop":    {"返回商店", "Back to the shop"},
	"refresh_hint":    {"支付后请刷新本页。", "Refresh this page after paying."},
	"error_title":     {"出错了", "Something went wrong"},
	"switch_lang":     {"English", "中文"},
	"switch_lang_to":  {"en", "zh"},
	"qr_alt":          {"微信支付二维码", "WeChat Pay QR code"},
	"status_NOTPAY":   {"待支付", "Awaiting payment"},
	"status_PAID":     {"已支付", "Paid"},
	"status_CLOSED":   {"已关闭", "Closed"},
	"status_FAILED":   {"失败", "Failed"},
	"status_EXPIRED":  {"已过期", "Expired"},
	"msg_not_found":   {"页面不存在", "Page not found"},
	"msg_method":      {"不支持该请求方法", "Method not allowed"},
	"msg_csrf":        {"页面已过期，请返回后重试", "This form has expired; go back and try again"},
	"msg_bad_request": {"请求无效", "Invalid request"},
	"msg_internal":    {"服务器内部错误，请稍后重试", "Internal error; please try again later"},
	"msg_too_many":    {"请求过于频繁，请稍后再试", "Too many requests; please wait a moment"},
}

// Message keys for error pages.
const (
	msgNotFound   = "msg_not_found"
	msgMethod     = "msg_method"
	msgCSRF       = "msg_csrf"
	msgBadRequest = "msg_bad_request"
	msgInternal   = "msg_internal"
	msgTooMany    = "msg_too_many"
)
