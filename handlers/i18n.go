package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxcheckout/checkout"
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

// Tf returns the text for key in this language, formatted with args.
func (l Lang) Tf(key string, args ...any) string {
	if len(args) == 0 {
		return l.T(key)
	}
	return fmt.Sprintf(l.T(key), args...)
}

// Error is the text of err that may be shown: the translation of the
// message the checkout gave it, never its internal cause.
func (l Lang) Error(err error) string {
	key, args := checkout.MessageOf(err)
	return l.Tf(key, args...)
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
		c.SetSameSite(http.SameSiteLaxMode)
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
	"shop_default_name": {"在线商店", "Online shop"},
	"shop_title":        {"商品", "Products"},
	"qty":               {"数量", "Quantity"},
	"buy":               {"微信支付", "Pay with WeChat"},
	"no_products":       {"暂无商品", "Nothing for sale yet"},
	"pay_title":         {"微信扫码支付", "Scan to pay with WeChat"},
	"amount":            {"金额", "Amount"},
	"product":           {"商品", "Product"},
	"order_no":          {"订单号", "Order number"},
	"scan_hint":         {"请打开微信，使用“扫一扫”扫描二维码完成支付", "Open WeChat, tap Scan, and scan the QR code to pay"},
	"expires_in":        {"二维码有效期剩余", "QR code valid for"},
	"expires_at":        {"有效期至", "Valid until"},
	"waiting":           {"等待支付…", "Waiting for payment…"},
	"simulate_scan":     {"模拟扫码（模拟器）", "Simulate scan (simulator)"},
	"paid_title":        {"支付成功", "Payment received"},
	"paid_at":           {"支付时间", "Paid at"},
	"transaction_id":    {"微信支付单号", "WeChat transaction"},
	"expired_title":     {"二维码已过期", "This QR code has expired"},
	"expired_hint":      {"该订单未支付且已失效，请重新获取二维码。", "The order was not paid in time. Get a fresh QR code to pay."},
	"closed_title":      {"订单已关闭", "This order is closed"},
	"failed_title":      {"下单失败", "The order could not be placed"},
	"failed_hint":       {"微信支付未能创建该订单，请重试。", "WeChat Pay could not create this order. Please try again."},
	"renew":             {"重新获取二维码", "Get a new QR code"},
	"back_to_shop":      {"返回商店", "Back to the shop"},
	"refresh_hint":      {"支付后请刷新本页。", "Refresh this page after paying."},
	"error_title":       {"出错了", "Something went wrong"},
	"switch_lang":       {"English", "中文"},
	"switch_lang_to":    {"en", "zh"},
	"qr_alt":            {"微信支付二维码", "WeChat Pay QR code"},
	"status_NOTPAY":     {"待支付", "Awaiting payment"},
	"status_PAID":       {"已支付", "Paid"},
	"status_CLOSED":     {"已关闭", "Closed"},
	"status_FAILED":     {"失败", "Failed"},
	"status_EXPIRED":    {"已过期", "Expired"},
	"msg_not_found":     {"页面不存在", "Page not found"},
	"msg_method":        {"不支持该请求方法", "Method not allowed"},
	"msg_csrf":          {"页面已过期，请返回后重试", "This form has expired; go back and try again"},
	"msg_bad_request":   {"请求无效", "Invalid request"},
	"msg_internal":      {"服务器内部错误，请稍后重试", "Internal error; please try again later"},
	"msg_too_many":      {"请求过于频繁，请稍后再试", "Too many requests; please wait a moment"},
	"msg_order_rate":    {"下单过于频繁，请一分钟后再试", "Too many orders started; please try again in a minute"},

	// Messages of the checkout's errors (checkout/errors.go).
	"err_order_not_found":     {"订单不存在", "Order not found"},
	"err_no_product":          {"商品不存在", "No such product"},
	"err_quantity":            {"数量须在 1 到 %d 之间", "The quantity must be 1 to %d"},
	"err_open_orders":         {"未支付的订单过多，请先完成支付或等待其过期", "Too many unpaid orders; pay one or let them expire first"},
	"err_still_payable":       {"订单仍可支付", "This order can still be paid"},
	"err_wechat_down":         {"暂时无法连接微信支付，请稍后重试", "WeChat Pay is unreachable; please try again"},
	"err_wechat_refused":      {"微信支付拒绝了下单请求：%s", "WeChat Pay refused the order: %s"},
	"err_query_failed":        {"查询微信支付失败：%s", "orderquery failed: %s"},
	"err_close_failed":        {"关闭订单失败：%s", "closeorder failed: %s"},
	"err_not_closable":        {"订单状态为 %s，无需关闭", "The order is %s; there is nothing to close"},
	"err_close_too_soon":      {"下单 5 分钟内不能关闭（还需 %d 秒）", "WeChat refuses to close an order within 5 minutes of creation (%d s to go)"},
	"err_unknown_action":      {"未知操作", "Unknown action"},
	"err_app_not_found":       {"商户应用不存在", "No such merchant app"},
	"err_app_name":            {"应用名称须为 1 到 %d 个字符", "The app name must be 1 to %d characters"},
	"err_bad_app_key":         {"pid 或密钥无效", "Invalid pid or key"},
	"err_paid_not_confirmed":  {"微信支付称订单已支付，但查询未确认，请稍后同步", "WeChat says the order is paid but orderquery does not confirm it yet; sync again shortly"},
	"refusal_amount_mismatch": {"金额不符", "Amount mismatch"},
	"refusal_unknown_order":   {"订单不存在", "Unknown order"},

	// Admin console (issue 5).
	"admin_login_title":           {"管理员登录", "Admin sign-in"},
	"admin_password":              {"密码", "Password"},
	"admin_login":                 {"登录", "Sign in"},
	"admin_logout":                {"退出登录", "Sign out"},
	"admin_bad_password":          {"密码错误", "Wrong password"},
	"admin_rate_limited":          {"登录失败次数过多，请一分钟后再试", "Too many failed sign-ins; try again in a minute"},
	"admin_orders_title":          {"订单", "Orders"},
	"admin_order_title":           {"订单", "Order"},
	"admin_chart_title":           {"近 30 天每日收款", "Paid per day, last 30 days"},
	"admin_status":                {"状态", "Status"},
	"admin_all":                   {"全部", "All"},
	"admin_from":                  {"从", "From"},
	"admin_to":                    {"到", "To"},
	"admin_search":                {"搜索", "Search"},
	"admin_search_hint":           {"完整的订单号、微信支付单号或商品编号", "Exact order no., transaction or SKU"},
	"admin_filter":                {"筛选", "Filter"},
	"admin_export_csv":            {"导出 CSV", "Export CSV"},
	"admin_total_orders":          {"订单数", "Orders"},
	"admin_total_paid":            {"已支付", "Paid"},
	"admin_total_amount":          {"收款金额", "Amount paid"},
	"admin_created":               {"下单时间", "Created"},
	"admin_no_orders":             {"没有符合条件的订单", "No orders match"},
	"admin_prev":                  {"上一页", "Previous"},
	"admin_next":                  {"下一页", "Next"},
	"admin_newer":                 {"较新", "Newer"},
	"admin_older":                 {"较早", "Older"},
	"admin_totals_window":         {"合计：%s 至 %s（最近 30 天；选择开始日期可统计其他时段）", "Totals for %s to %s (the last 30 days; pick a start date for another period)"},
	"admin_sync":                  {"与微信支付同步", "Sync with WeChat"},
	"admin_close":                 {"关闭订单", "Close"},
	"admin_fen":                   {"分", "fen"},
	"admin_fail_reason":           {"失败原因", "Failure"},
	"admin_closed_at":             {"关闭时间", "Closed at"},
	"admin_queries":               {"查询次数", "Queries"},
	"admin_next_query":            {"下次查询", "next query"},
	"admin_last_query":            {"上次查询", "last"},
	"admin_client_ip":             {"客户端 IP", "Client IP"},
	"admin_flags":                 {"标记", "Flags"},
	"admin_updated":               {"更新时间", "Updated"},
	"admin_pay_page":              {"支付页", "Payment page"},
	"admin_timeline":              {"时间线", "Timeline"},
	"admin_raw_xml":               {"原始 XML", "Raw XML"},
	"admin_request":               {"请求", "Request"},
	"admin_response":              {"应答", "Response"},
	"admin_no_events":             {"暂无记录", "No events"},
	"flag_paid_after_close":       {"关闭后支付", "Paid after close"},
	"flag_oversold":               {"超卖", "Oversold"},
	"admin_oversold_hint":         {"付款到达时商品库存已售完（订单曾因未支付而释放库存），订单仍记为已支付：请补货发货或退款", "the payment came after the product's stock ran out (the order had given its stock back while unpaid); it is recorded as paid — restock and ship, or refund"},
	"flag_second_payment":         {"重复支付", "Paid twice"},
	"admin_second_payment_hint":   {"顾客通过另一种支付方式再次付款，第二笔付款见时间线，请在微信支付商户平台退还", "the shopper paid a second time by another way to pay; the second payment is in the timeline — refund it at WeChat Pay"},
	"admin_paid_after_close_hint": {"订单在本地关闭后仍收到付款，已记为已支付，请核实是否需要发货或退款", "a payment arrived after the order was closed locally; it is recorded as paid — ship or refund"},
	"flag_not_at_wechat":          {"微信支付无此订单", "Unknown to WeChat"},
	"admin_not_at_wechat_hint":    {"直到过期微信支付都查询不到该订单（ORDERNOTEXIST），已在本地关闭。常见原因：模拟器重启或更换了商户号", "WeChat answered ORDERNOTEXIST until the order's time was up; it was closed locally. Usual causes: the simulator restarted, or the merchant changed"},
	"flag_amount_mismatch":        {"金额不符", "Amount mismatch"},
	"admin_amount_mismatch_hint":  {"微信支付报告的支付金额与订单不符，订单已在本地关闭：请在微信支付商户平台核实并退款", "WeChat reported a payment of another amount; the order was closed locally: check it at WeChat Pay and refund"},
	"admin_refused_notifies":      {"被拒绝的通知（时间线只保留前几条）", "Refused notifications (the timeline keeps the first few)"},
	"admin_renewed_to":            {"已重新下单为", "Renewed as"},
	"admin_amount_mismatch":       {"金额不符的通知（疑似伪造）", "Notification with a wrong amount (possible forgery)"},
	"admin_invalid_sign":          {"签名无效的通知（疑似伪造）", "Notification with an invalid sign (possible forgery)"},
	"admin_action_done_sync":      {"已同步：订单状态为%s (%s)", "Synced: the order is %[2]s"},
	"admin_action_done_close":     {"已关闭：订单状态为%s (%s)", "Closed: the order is %[2]s"},
	"admin_close_was_paid":        {"该订单已在微信支付付款：已记录支付，订单未关闭", "The order was paid at WeChat: the payment is recorded and the order was not closed"},

	// Merchant apps (issue 12).
	"admin_apps_title":        {"商户应用", "Apps"},
	"admin_app_title":         {"商户应用", "App"},
	"admin_app_name":          {"名称", "Name"},
	"admin_app_state":         {"状态", "State"},
	"admin_app_created":       {"创建时间", "Created"},
	"admin_app_enabled":       {"已启用", "Enabled"},
	"admin_app_disabled":      {"已停用", "Disabled"},
	"admin_app_key":           {"密钥", "Key"},
	"admin_app_key_hint":      {"请妥善保管，勿泄露", "keep it secret"},
	"admin_app_create":        {"创建应用", "Create app"},
	"admin_app_rotate":        {"更换密钥", "Rotate key"},
	"admin_app_enable":        {"启用", "Enable"},
	"admin_app_disable":       {"停用", "Disable"},
	"admin_no_apps":           {"暂无商户应用", "No apps yet"},
	"admin_app_created_flash": {"已创建商户应用 %d", "App %d created"},
	"admin_app_done_rotate":   {"已更换密钥，旧密钥立即失效", "Key rotated; the old key no longer works"},
	"admin_app_done_enable":   {"已启用", "Enabled"},
	"admin_app_done_disable":  {"已停用", "Disabled"},

	// The merchant gateway's refusals (checkout/errors.go, SPEC §6). epay
	// replies carry the Chinese text, as the plugins show it to the shop.
	"err_gw_missing":         {"缺少参数 %s", "Missing parameter %s"},
	"err_gw_pid":             {"商户不存在", "Unknown pid"},
	"err_gw_disabled":        {"商户已停用", "The merchant app is disabled"},
	"err_gw_sign":            {"签名校验失败", "Invalid sign"},
	"err_gw_key":             {"商户密钥错误", "Wrong pid or key"},
	"err_gw_money":           {"金额格式错误", "Invalid money"},
	"err_gw_out_trade_no":    {"商户订单号须为 1 到 %d 个可打印 ASCII 字符，不含空格和反斜杠", "out_trade_no must be 1 to %d printable ASCII characters without spaces or backslashes"},
	"err_gw_name":            {"商品名称须为 1 到 %d 个字符，首尾不能有空格，不能含控制字符或反斜杠", "name must be 1 to %d characters, without leading or trailing spaces, control characters or backslashes"},
	"err_gw_param":           {"param 最长 %d 字节，首尾不能有空格，不能含控制字符或反斜杠", "param must be at most %d bytes, without leading or trailing spaces, control characters or backslashes"},
	"err_gw_notify_url":      {"notify_url 无效（%s）：须为 http(s) 公网地址", "Invalid notify_url (%s): it must be a public http(s) URL"},
	"err_gw_return_url":      {"return_url 无效（%s）：须为 http(s) 地址", "Invalid return_url (%s): it must be an http(s) URL"},
	"err_gw_duplicate":       {"订单号重复", "Duplicate out_trade_no with another amount"},
	"err_gw_expire":          {"有效期须在 %d 到 %d 秒之间", "expire_seconds must be %d to %d"},
	"err_gw_type":            {"不支持的支付方式", "Unsupported payment method"},
	"err_gw_not_renewable":   {"该订单由商户创建，请返回商户重新下单", "The merchant created this order; return to the merchant to order again"},
	"err_gw_order_missing":   {"订单不存在", "Order not found"},
	"err_gw_failed":          {"下单失败：%s", "The order failed: %s"},
	"err_delivery_not_found": {"通知记录不存在", "No such notification"},
	"msg_gateway_rate":       {"下单过于频繁，请稍后再试", "Too many orders for this merchant app; try again shortly"},

	// Admin: a gateway order's merchant and notifications, resend, and the
	// failing list (issue 12, handlers/admin_deliveries.go).
	"admin_merchant":              {"商户", "Merchant"},
	"admin_merchant_app":          {"商户应用", "App"},
	"admin_merchant_out_trade_no": {"商户订单号", "Merchant's out_trade_no"},
	"admin_merchant_item":         {"商品名称", "Item"},
	"admin_notify_style":          {"通知方式", "Notification style"},
	"admin_notify_style_epay":     {"易支付（GET notify_url）", "epay (GET notify_url)"},
	"admin_notify_style_webhook":  {"Webhook（签名的 JSON POST）", "Webhook (signed JSON POST)"},
	"admin_notifications":         {"商户通知", "Merchant notifications"},
	"admin_no_deliveries":         {"暂无商户通知（订单支付后生成）", "No notifications yet (one is written when the order is paid)"},
	"admin_delivery_type":         {"类型", "Type"},
	"admin_delivery_state":        {"状态", "State"},
	"admin_delivery_attempts":     {"尝试次数", "Attempts"},
	"admin_delivery_last_status":  {"最后 HTTP 状态", "Last HTTP status"},
	"admin_delivery_last_error":   {"最后错误", "Last error"},
	"admin_delivery_when":         {"时间", "When"},
	"admin_delivery_pending":      {"待发送", "Pending"},
	"admin_delivery_queued":       {"排队中（等待本订单之前的通知）", "queued (after the order's earlier notification)"},
	"admin_delivery_delivered":    {"已送达", "Delivered"},
	"admin_delivery_failed":       {"已失败", "Failed"},
	"admin_delivery_retrying":     {"重试中", "retrying"},
	"admin_delivery_delivered_at": {"送达于", "delivered"},
	"admin_delivery_next_at":      {"下次发送", "next attempt"},
	"admin_delivery_no_more":      {"不再自动重发", "no more automatic resends"},
	"admin_delivery_resend":       {"重新发送", "Resend"},
	"admin_delivery_resent":       {"通知 %d 已重新加入发送队列，将立即发送", "Notification %d is back in the queue and is sent now"},
	"admin_deliveries_title":      {"失败的商户通知", "Failing notifications"},
	"admin_deliveries_hint":       {"商户尚未确认的通知：已放弃自动重发的，以及仍在按计划重发的。“重新发送”立即发送，并重新开始重发计划。", "Notifications the merchants have not acknowledged: given up, or failing and still being resent. Resend sends one now and starts its schedule over."},
	"admin_deliveries_cut":        {"仅显示最近的 %d 条。", "Only the latest %d are shown."},
	"admin_no_failing_deliveries": {"没有失败的商户通知", "No failing notifications"},
	"admin_raw_notify":            {"通知内容与商户应答", "Notification and the merchant's reply"},
	"admin_notify_sent":           {"发送内容", "Sent"},
	"admin_notify_reply":          {"商户应答（前 256 字节）", "Merchant's reply (first 256 bytes)"},
	// The epay V1 endpoints (handlers/epay.go, handlers/epay_json.go).
	// mapi.php and api.php reply in Chinese whatever the language.
	"epay_placed": {"下单成功", "Order placed"},
	"epay_found":  {"查询订单号成功！", "Order found"},
	"err_gw_post": {"请使用 POST 提交", "Use POST"},
	"err_gw_act":  {"不支持的 act", "Unsupported act"},
	// The JSON API /api/v1 (issue 12, handlers/api*.go, docs/api.md).
	"err_api_auth":            {"需要 HTTP Basic 认证：用户名为 pid，密码为商户密钥", "HTTP Basic authentication required: the user is the pid, the password the app's key"},
	"err_api_content_type":    {"Content-Type 须为 application/json（UTF-8）", "Content-Type must be application/json (UTF-8)"},
	"err_api_too_large":       {"请求体超过 %d KiB", "The request body is larger than %d KiB"},
	"err_api_json":            {"请求体须为一个 JSON 对象", "The request body must be one JSON object"},
	"err_api_duplicate_field": {"JSON 字段 %s 出现了多次", "The JSON field %s is given more than once"},
	"err_api_unknown_field":   {"未知字段 %s", "Unknown field %s"},
	"err_api_want_string":     {"字段 %s 须为字符串", "%s must be a string"},
	"err_api_want_integer":    {"字段 %s 须为整数", "%s must be an integer"},
	"err_api_amount":          {"amount 须为正整数（单位：分），且不超过 100000000", "amount must be a positive integer number of fen, at most 100000000"},
	"err_api_no_route":        {"没有这个 API 接口", "No such API endpoint"},

	// The payment page of a gateway order (templates/pay.html): the
	// shopper came from a merchant's site and goes back there.
	"paygw_merchant":          {"商户", "Merchant"},
	"paygw_merchant_order_no": {"商户订单号", "Merchant's order number"},
	"paygw_back":              {"返回商户", "Back to the merchant"},
	"paygw_return_auto":       {"3 秒后自动返回商户…", "Going back to the merchant in 3 seconds…"},
	"paygw_expired_hint":      {"该订单未支付且已失效，请返回商户重新下单。", "The order was not paid in time. Go back to the merchant and order again."},
	"paygw_closed_hint":       {"该订单已关闭，请返回商户重新下单。", "The order was closed. Go back to the merchant and order again."},
	"paygw_failed_hint":       {"微信支付未能创建该订单，请返回商户重新下单。", "WeChat Pay could not create this order. Go back to the merchant and order again."},

	// Refunds (SPEC §8, checkout/refund.go).
	"err_refund_reason":      {"退款原因最长 %d 个字符，不能含控制字符", "The refund reason must be at most %d characters, without control characters"},
	"err_refund_unavailable": {"当前配置无法退款：API v2 需要商户证书（WXPAY_CERT_P12_FILE 或 WXPAY_CERT_FILE + WXPAY_KEY_FILE）", "Refunds are not configured: API v2 needs the merchant certificate (WXPAY_CERT_P12_FILE, or WXPAY_CERT_FILE and WXPAY_KEY_FILE)"},
	"err_refund_duplicate":   {"退款单号重复", "Duplicate out_refund_no with another amount"},
	"err_refund_not_paid":    {"订单未支付，不能退款", "The order was not paid; there is nothing to refund"},
	"err_refund_too_many":    {"每笔订单最多退款 %d 次", "An order may be refunded at most %d times"},
	"err_refund_amount":      {"退款金额须大于 0，且不超过可退金额", "The refund must be more than zero and at most the refundable amount"},
	"err_refund_refused":     {"微信支付拒绝了退款：%s", "WeChat Pay refused the refund: %s"},
	"err_refund_not_found":   {"退款不存在", "Refund not found"},

	// Refunds: the admin's order page, the JSON API and epay act=refund
	// (handlers/admin_refund.go, api_refund.go, epay_refund.go).
	"status_REFUND":               {"已退款", "Refunded"},
	"refund_status_PROCESSING":    {"退款处理中", "Processing"},
	"refund_status_SUCCESS":       {"退款成功", "Refunded"},
	"refund_status_CLOSED":        {"退款关闭", "Closed"},
	"refund_status_ABNORMAL":      {"退款异常", "Abnormal"},
	"admin_refunds":               {"退款", "Refunds"},
	"admin_refunded":              {"已退款", "Refunded"},
	"admin_refundable":            {"可退", "Refundable"},
	"admin_out_refund_no":         {"退款单号", "Refund number"},
	"admin_merchant_refund_no":    {"商户退款单号", "Merchant's refund number"},
	"admin_refund_reason":         {"退款原因", "Reason"},
	"admin_refund_succeeded":      {"退款成功时间", "Refunded at"},
	"admin_refund_actor":          {"操作人", "By"},
	"admin_no_refunds":            {"暂无退款", "No refunds yet"},
	"admin_refund_amount":         {"退款金额", "Amount"},
	"admin_refund_confirm":        {"我确认退款给顾客", "I confirm this refund to the customer"},
	"admin_refund":                {"退款", "Refund"},
	"admin_refund_bad_amount":     {"退款金额格式错误：请填写大于 0 的金额（元），最多两位小数", "Invalid refund amount: enter more than zero, in yuan, with at most two decimals"},
	"admin_refund_confirm_needed": {"请勾选确认后再退款", "Tick the confirmation box to refund"},
	"admin_refund_started":        {"退款 %s（¥%s）已提交：%s（%s）", "Refund %s of ¥%s sent: %s (%s)"},
	"admin_col_refunded":          {"已退款", "Refunded"},
	"flag_refund_abnormal":        {"退款异常", "Refund abnormal"},
	"admin_refund_abnormal_hint":  {"微信支付报告退款异常（如顾客银行卡已注销），请在微信支付商户平台处理", "WeChat Pay reports a refund as abnormal (e.g. the shopper's card was cancelled); settle it in the WeChat Pay merchant platform"},
	"admin_total_net":             {"实收金额（扣除退款）", "Received (net of refunds)"},
	"err_api_out_refund_no":       {"out_refund_no 须为 1–%d 个可打印 ASCII 字符，不含空格", "out_refund_no must be 1 to %d printable ASCII characters without spaces"},
	"epay_refunded":               {"退款成功", "Refund accepted"},
	"epay_refund_closed":          {"退款失败：该退款已关闭", "Refund failed: the refund is closed"},

	// The payment page on every device (SPEC §9).
	"jsapi_hint":        {"点击下方按钮，在微信中完成支付", "Tap the button to pay in WeChat"},
	"jsapi_pay":         {"微信支付", "Pay with WeChat Pay"},
	"jsapi_done":        {"支付完成，正在确认…", "Paid — confirming…"},
	"jsapi_cancelled":   {"已取消支付，可再次点击按钮支付", "Payment cancelled; tap the button to pay"},
	"jsapi_failed":      {"支付未完成，请再次点击按钮支付", "The payment did not go through; tap the button to try again"},
	"jsapi_no_bridge":   {"请在微信内打开此页面支付", "Open this page in WeChat to pay"},
	"h5_hint":           {"将跳转到微信完成支付，完成后自动返回本页", "You will go to WeChat to pay and come back here"},
	"h5_pay":            {"去微信支付", "Pay in WeChat"},
	"h5_return_hint":    {"如已在微信中完成支付，请点击“已完成支付”", "If you have paid in WeChat, tap “I have paid”"},
	"h5_done":           {"已完成支付", "I have paid"},
	"h5_retry":          {"遇到问题，重新支付", "Having trouble? Pay again"},
	"h5_checked":        {"暂未查到付款。如已支付，请稍候片刻，本页会自动更新", "No payment found yet. If you have paid, wait a moment: this page updates by itself"},
	"open_in_wechat":    {"请在微信中打开此链接", "Open this link in WeChat to pay"},
	"open_other_device": {"请在电脑或另一部手机上打开扫码", "Open this link on a computer or another phone and scan the code with WeChat"},
	"scan_other_device": {"在另一台设备上显示此二维码，用微信“扫一扫”扫码支付", "Show this code on another device and scan it with WeChat"},
	"show_qr":           {"改用二维码支付", "Pay with a QR code instead"},
	"page_link":         {"支付链接", "Payment link"},
	"copy_link":         {"复制链接", "Copy link"},
	"link_copied":       {"已复制", "Copied"},
	// Every device (SPEC §9): the checkout's refusals (checkout/errors.go)
	// and the JSON API's for APP and mini-program backends (api_devices.go).
	"err_invalid_code":         {"微信授权码（code）无效、已过期或已使用", "The WeChat code is invalid, expired or already used"},
	"err_missing_openid":       {"JSAPI 支付需要付款人的 openid", "A JSAPI payment needs the payer's openid"},
	"err_trade_type":           {"不支持此交易类型", "This trade type is not supported here"},
	"err_way_off":              {"本服务未启用此支付方式（%s）", "This way to pay (%s) is not set up on this server"},
	"err_too_many_ways":        {"此订单已尝试 %d 次其他支付方式，请重新下单", "This order has been tried %d other ways already; place a new order"},
	"err_order_expiring":       {"订单即将过期，请重新下单", "The order expires in under a minute; place a new order"},
	"err_oauth_state":          {"授权链接无效或已使用，请回到支付页面重新打开", "This authorisation link is invalid or already used; go back to the payment page and open it again"},
	"err_not_payable_now":      {"此订单当前无法支付：已支付、已关闭或已过期", "This order cannot be paid now: it is paid, closed or expired"},
	"err_api_trade_type":       {"trade_type 须为 NATIVE、APP 或 JSAPI（H5 支付由支付页面完成）", "trade_type must be NATIVE, APP or JSAPI (H5 is the payment page's)"},
	"err_api_openid_not_jsapi": {"openid 仅用于 trade_type 为 JSAPI 的订单", "openid is only for trade_type JSAPI"},
	"err_api_openid":           {"openid 须为 1–%d 个可打印 ASCII 字符", "openid must be 1 to %d printable ASCII characters"},
	"err_api_code":             {"code 须为 wx.login 返回的 code：1–%d 个可打印 ASCII 字符", "code must be the code of wx.login: 1 to %d printable ASCII characters"},
	"err_api_mini_off":         {"本服务未配置小程序：请设置 WXPAY_MINIPROGRAM_APPSECRET（或 WXPAY_MP_APPSECRET）", "The mini program is not configured on this server: set WXPAY_MINIPROGRAM_APPSECRET (or WXPAY_MP_APPSECRET)"},
	// The owner's shop (issue 16): shared by the shop, the cart and the
	// admin. Each part's own texts follow in blocks of their own.
	"err_invalid_fields":    {"请修改标出的内容", "Please correct the marked fields"},
	"err_sold_out":          {"「%s」库存不足", "Not enough of \"%s\" left"},
	"err_empty_cart":        {"购物车是空的", "Your cart is empty"},
	"err_cart_too_big":      {"一个订单最多 %d 种商品", "One order holds at most %d different products"},
	"err_sku_taken":         {"此商品编号已被使用", "This SKU is taken"},
	"err_product_not_found": {"商品不存在", "No such product"},
	"err_not_fulfilable":    {"订单未支付，不能发货", "The order is not paid; there is nothing to ship"},
	"err_fulfilment":        {"请选择发货状态", "Choose a fulfilment status"},
	"err_tracking_no":       {"运单号须为 4–40 位字母、数字或连字符", "The tracking number must be 4 to 40 letters, digits or hyphens"},
	"err_image_not_found":   {"图片不存在", "No such image"},
	"err_field_required":    {"必填", "Required"},
	"err_field_too_long":    {"内容过长", "Too long"},
	"err_field_too_short":   {"内容过短", "Too short"},
	"err_field_control":     {"含有不允许的字符", "Contains characters that are not allowed"},
	"err_field_not_asked":   {"本店不收集此项", "This shop does not ask for this"},
	"err_phone":             {"请输入 11 位手机号或带区号的座机号", "Enter an 11-digit mobile number or a landline with its area code"},
	"err_sku":               {"编号须为 1–32 位字母、数字、- 或 _，以字母或数字开头", "The SKU must be 1 to 32 letters, digits, - or _, starting with a letter or digit"},
	"err_price":             {"价格须为 0.01 到 10000000 元，最多两位小数", "The price must be ¥0.01 to ¥10,000,000, with at most two decimals"},
	"err_stock":             {"库存须为 0 到 1000000 的整数，留空表示不限", "Stock must be a whole number from 0 to 1,000,000; leave it empty for no limit"},
	"fulfil_":               {"—", "—"},
	"fulfil_to_ship":        {"待发货", "To ship"},
	"fulfil_shipped":        {"已发货", "Shipped"},
	"fulfil_done":           {"已完成", "Done"},
	"buyer_name":            {"收货人", "Name"},
	"buyer_phone":           {"手机号", "Phone"},
	"buyer_address":         {"收货地址", "Shipping address"},
	"buyer_note":            {"备注", "Note"},
	// The owner's products, pictures and settings (issue 16, admin shop):
	// admin_products.go, admin_product_form.go, admin_settings.go, images.go.
	"prod_title":           {"商品", "Products"},
	"prod_add":             {"添加商品", "Add a product"},
	"prod_saved":           {"商品 %s 已保存", "Product %s saved"},
	"prod_empty_title":     {"还没有商品", "No products yet"},
	"prod_empty_text":      {"添加第一个商品后，它会出现在商店首页，顾客即可用微信支付购买。之后可以随时修改价格、库存和图片，或暂停销售。", "Once you add your first product it appears on the shop's front page and customers can buy it with WeChat Pay. You can change its price, stock and picture, or take it off sale, at any time."},
	"prod_add_first":       {"添加第一个商品", "Add your first product"},
	"prod_image":           {"图片", "Picture"},
	"prod_sku":             {"商品编号", "SKU"},
	"prod_name":            {"名称（中文）", "Name (Chinese)"},
	"prod_name_en":         {"名称（英文）", "Name (English)"},
	"prod_description":     {"描述（中文）", "Description (Chinese)"},
	"prod_description_en":  {"描述（英文）", "Description (English)"},
	"prod_price":           {"价格", "Price"},
	"prod_price_yuan":      {"价格（元）", "Price (¥)"},
	"prod_stock":           {"库存", "Stock"},
	"prod_stock_unlimited": {"不限", "unlimited"},
	"prod_stock_hint":      {"留空表示不限库存；订单支付后扣减", "Leave empty for unlimited; a paid order takes from it"},
	"prod_sold_out":        {"已售罄", "sold out"},
	"prod_state":           {"状态", "State"},
	"prod_on_sale":         {"在售", "On sale"},
	"prod_off_sale":        {"已下架", "Off sale"},
	"prod_activate":        {"上架", "Put on sale"},
	"prod_deactivate":      {"下架", "Take off sale"},
	"prod_order":           {"排序", "Order"},
	"prod_move_up":         {"上移", "Move up"},
	"prod_move_down":       {"下移", "Move down"},
	"prod_edit":            {"编辑", "Edit"},
	"prod_list_hint":       {"顾客看到的商品顺序与此列表相同；已下架的商品不在商店中显示。", "Customers see the products in this order; products off sale are not shown in the shop."},
	"prod_new_title":       {"添加商品", "New product"},
	"prod_edit_title":      {"编辑商品", "Edit product"},
	"prod_sku_hint":        {"字母、数字、- 或 _，保存后不可修改", "Letters, digits, - or _; it cannot be changed once saved"},
	"prod_sku_fixed":       {"商品编号保存后不可修改", "The SKU cannot be changed"},
	"prod_remove_image":    {"删除图片", "Remove the picture"},
	"prod_save":            {"保存修改", "Save changes"},
	"prod_create":          {"添加商品", "Add product"},
	"prod_cancel":          {"取消", "Cancel"},
	"img_hint":             {"PNG、JPEG、GIF 或 WebP，不超过 2 MB 和 4096×4096 像素；保存时缩至 1200 像素以内", "PNG, JPEG, GIF or WebP, up to 2 MB and 4096×4096 pixels; kept at 1200 pixels at most"},
	"img_too_big":          {"图片超过 2 MB", "The picture is larger than 2 MB"},
	"img_type":             {"仅支持 PNG、JPEG、GIF 或 WebP 图片", "Only PNG, JPEG, GIF or WebP pictures are accepted"},
	"img_dimensions":       {"图片尺寸过大（最大 4096×4096 像素）", "The picture is too large (at most 4096×4096 pixels)"},
	"img_corrupt":          {"图片已损坏或不完整", "The picture is damaged or incomplete"},
	"set_title":            {"店铺设置", "Shop settings"},
	"set_saved":            {"设置已保存", "Settings saved"},
	"set_unnamed_hint":     {"店铺尚未命名：保存名称之前，顾客看到的店名是“在线商店”。", "The shop has no name yet: until you save one, customers see “在线商店” (Online shop)."},
	"set_shop_name":        {"店铺名称（中文）", "Shop name (Chinese)"},
	"set_shop_name_en":     {"店铺名称（英文）", "Shop name (English)"},
	"set_merchant_name":    {"商户名称", "Merchant name"},
	"set_merchant_hint":    {"显示在支付页面和收据上；留空则使用店铺名称", "Shown on the payment page and receipts; the shop's name when empty"},
	"set_logo":             {"店铺标志", "Logo"},
	"set_remove_logo":      {"删除标志", "Remove the logo"},
	"set_contact":          {"联系方式", "Contact"},
	"set_footer":           {"页脚文字", "Footer text"},
	"set_ask":              {"结账时向顾客收集", "Ask the buyer at checkout"},
	"set_ask_hint":         {"勾选的姓名、手机号和收货地址为必填项，备注为选填。", "Name, phone and address are required when ticked; the note is optional."},
	"set_save":             {"保存设置", "Save settings"},
	// The admin an owner uses every day (issue 16, admin daily): filters,
	// chart, CSV, order page, fulfilment, confirmations, timeline.
	"adm_filter_invalid":     {"筛选条件有误，请修改后再试", "The filter has a mistake; correct it and try again"},
	"adm_err_date":           {"日期格式应为 2026-11-30", "Use YYYY-MM-DD, e.g. 2026-11-30"},
	"adm_err_from_after_to":  {"开始日期晚于结束日期", "From is after To"},
	"adm_err_status":         {"没有这个状态", "No such status"},
	"adm_err_fulfilment":     {"没有这个发货状态", "No such fulfilment status"},
	"adm_err_query_long":     {"搜索内容最多 64 个字符", "Search for at most 64 characters"},
	"adm_err_page":           {"页码无效", "No such page"},
	"adm_fulfilment":         {"发货", "Fulfilment"},
	"adm_to_ship_link":       {"待发货订单", "Orders to ship"},
	"adm_chart_x":            {"日期（北京时间）", "Day, Beijing time"},
	"adm_chart_y":            {"已支付金额", "Paid"},
	"adm_chart_caption":      {"%s 至 %s 每日已支付金额（扣除退款），合计 ¥%s，单日最高 ¥%s", "Paid per day (net of refunds), %s to %s: total ¥%s, best day ¥%s"},
	"adm_yes":                {"是", "yes"},
	"adm_csv_out_trade_no":   {"商户订单号", "Order no."},
	"adm_csv_created":        {"下单时间（北京时间）", "Created (Beijing time)"},
	"adm_csv_status":         {"状态", "Status"},
	"adm_csv_status_code":    {"状态代码", "Status code"},
	"adm_csv_expired":        {"已过期", "Expired"},
	"adm_csv_sku":            {"商品编号", "SKU"},
	"adm_csv_product":        {"商品", "Product"},
	"adm_csv_items":          {"商品明细", "Items"},
	"adm_csv_qty":            {"数量", "Quantity"},
	"adm_csv_amount_yuan":    {"金额（元）", "Amount (yuan)"},
	"adm_csv_amount_fen":     {"金额（分）", "Amount (fen)"},
	"adm_csv_transaction_id": {"微信支付单号", "WeChat transaction no."},
	"adm_csv_paid_at":        {"支付时间（北京时间）", "Paid at (Beijing time)"},
	"adm_csv_flags":          {"标记", "Flags"},
	"adm_csv_refunded_yuan":  {"已退款（元）", "Refunded (yuan)"},
	"adm_csv_refunded_fen":   {"已退款（分）", "Refunded (fen)"},
	"adm_csv_buyer_name":     {"收货人", "Buyer name"},
	"adm_csv_buyer_phone":    {"手机号", "Phone"},
	"adm_csv_buyer_address":  {"收货地址", "Shipping address"},
	"adm_csv_buyer_note":     {"备注", "Note"},
	"adm_csv_fulfilment":     {"发货状态", "Fulfilment"},
	"adm_csv_tracking_no":    {"运单号", "Tracking no."},
	"adm_items":              {"商品明细", "Items"},
	"adm_items_total":        {"合计", "Total"},
	"adm_unit_price":         {"单价", "Unit price"},
	"adm_buyer":              {"买家信息", "Buyer"},
	"adm_buyer_none":         {"买家未填写信息", "The buyer gave no details"},
	"adm_details":            {"订单字段", "Order fields"},
	"adm_tracking_no":        {"运单号", "Tracking no."},
	"adm_tracking_hint":      {"标记为已发货时必填", "Required when marked shipped"},
	"adm_shipped_at":         {"发货时间", "Shipped at"},
	"adm_fulfil_save":        {"保存发货状态", "Save fulfilment"},
	"adm_fulfil_done":        {"发货状态已更新为「%s」", "Fulfilment set to “%s”"},
	"adm_confirm_close":      {"确定关闭订单 %s（¥%s）吗？关闭后买家无法再支付。", "Close order %s (¥%s)? The buyer can no longer pay it."},
	"adm_confirm_refund":     {"确定为订单 %s 退款 ¥%s 吗？退款无法撤销。", "Refund ¥%[2]s of order %[1]s? A refund cannot be undone."},
	"adm_field":              {"字段", "Field"},
	"adm_field_meaning":      {"含义", "Meaning"},
	"adm_field_value":        {"值", "Value"},

	// The shopper's pages (issue 16): shop, cart, checkout form, payment
	// page, receipt and error pages.
	"shop_contact":            {"联系方式：", "Contact: "},
	"shop_buy_now":            {"立即购买 · ¥%s", "Buy now · ¥%s"},
	"shop_add_to_cart":        {"加入购物车", "Add to cart"},
	"shop_sold_out":           {"已售罄", "Sold out"},
	"cart_link":               {"购物车", "Cart"},
	"cart_title":              {"购物车", "Your cart"},
	"cart_checkout_title":     {"确认订单", "Check out"},
	"cart_gone":               {"商品 %s 已下架，已从购物车移除", "Product %s is no longer for sale and was removed from your cart"},
	"cart_continue":           {"继续购物", "Continue shopping"},
	"cart_unit_price":         {"单价", "Unit price"},
	"cart_remove":             {"删除", "Remove"},
	"cart_update":             {"更新数量", "Update quantity"},
	"cart_total":              {"合计", "Total"},
	"cart_buyer_title":        {"收货信息", "Your details"},
	"cart_pay":                {"微信支付 ¥%s", "Pay ¥%s with WeChat Pay"},
	"cart_full":               {"购物车已满：一个订单最多 20 种商品", "Your cart is full: one order holds at most 20 different products"},
	"pay_mark_alt":            {"微信支付", "WeChat Pay"},
	"pay_merchant":            {"收款方", "Paid to"},
	"pay_contact":             {"联系商家", "Merchant contact"},
	"pay_expiring":            {"二维码即将过期，请尽快扫码支付；过期后可重新获取", "This QR code expires in under a minute: scan it now, or get a new one once it has expired"},
	"rcpt_beijing":            {"（北京时间）", "(Beijing time)"},
	"rcpt_total":              {"合计", "Total"},
	"rcpt_ship_to":            {"收货信息", "Ship to"},
	"rcpt_print":              {"打印 / 保存收据", "Print or save the receipt"},
	"err_page_wechat_refused": {"微信支付暂时无法创建此订单，未扣款。请稍后重试", "WeChat Pay could not create this order and nothing was charged. Please try again shortly"},
	"err_page_h_400":          {"提交的内容有误", "Something in the form needs fixing"},
	"err_page_h_403":          {"页面已过期", "This page has expired"},
	"err_page_h_404":          {"找不到这个页面", "We couldn't find that page"},
	"err_page_h_405":          {"无法打开这个地址", "This address can't be opened this way"},
	"err_page_h_409":          {"暂时无法完成", "This can't be done right now"},
	"err_page_h_429":          {"操作太频繁", "Too many tries in a short time"},
	"err_page_h_500":          {"服务器出了点问题", "Something went wrong on our side"},
	"err_page_h_502":          {"微信支付暂时没有响应", "WeChat Pay isn't answering right now"},
	"err_page_h_other":        {"出错了", "Something went wrong"},
	"err_page_reload":         {"重新加载", "Reload the page"},
	"err_page_retry":          {"重试", "Try again"},
	// Daily aggregates (issue 17): totals of a filter without dates cover every order.
	"admin_totals_all": {"合计：全部订单", "Totals of all the orders selected, since the first"},

	// A routine call's raw bodies dropped by RAW_BODY_RETENTION (issue 17).
	"admin_raw_pruned": {"原始报文已按保留期删除", "Raw body removed after the retention period"},
}

// Message keys for error pages.
const (
	msgNotFound   = "msg_not_found"
	msgMethod     = "msg_method"
	msgCSRF       = "msg_csrf"
	msgBadRequest = "msg_bad_request"
	msgInternal   = "msg_internal"
	msgTooMany    = "msg_too_many"
	msgOrderRate  = "msg_order_rate" // over CHECKOUT_RATE_PER_CLIENT
)
