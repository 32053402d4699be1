package wxpaysim

import (
	"net/http"
	"regexp"
	"strconv"
	"unicode/utf8"

	"wxcheckout/wxpay"
)

// v2's refund_status names of the refund states.
var v2RefundStatus = map[string]string{
	wxpay.RefundProcessing: "PROCESSING",
	wxpay.RefundSuccess:    "SUCCESS",
	wxpay.RefundClosed:     "REFUNDCLOSE",
	wxpay.RefundAbnormal:   "CHANGE",
}

// outRefundNoShape is WeChat's rule for out_refund_no: up to 64 of
// digits, letters and _-|*@.
var outRefundNoShape = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

// refundRules are the format rules of /secapi/pay/refund, applied when the
// field is present.
var refundRules = []fieldRule{
	{"out_trade_no", wxpay.ValidOutTradeNo, "out_trade_no参数格式错误"},
	{"transaction_id", maxLen(32), "transaction_id参数长度有误"},
	{"out_refund_no", outRefundNoShape.MatchString, "out_refund_no参数格式错误，须为1-64位数字、大小写字母或_-|*@"},
	{"total_fee", positiveFen, "total_fee参数格式错误，须为正整数，单位为分"},
	{"refund_fee", positiveFen, "refund_fee参数格式错误，须为正整数，单位为分"},
	{"refund_fee_type", func(v string) bool { return v == "CNY" }, "refund_fee_type参数错误，只支持CNY"},
	{"refund_desc", func(v string) bool { return utf8.RuneCountInString(v) <= 80 }, "refund_desc参数长度有误，不能超过80个字符"},
	{"notify_url", isURL, "notify_url参数格式错误，须为不超过256字节、不带参数的绝对URL"},
}

// refund is POST /secapi/pay/refund.
func (s *Server) refund(c *call) reply {
	p := c.req
	if !notEmpty(p, "out_trade_no") && !notEmpty(p, "transaction_id") {
		return *lackParam("out_trade_no或transaction_id")
	}
	for _, k := range []string{"out_refund_no", "total_fee", "refund_fee"} {
		if !notEmpty(p, k) {
			return *lackParam(k)
		}
	}
	for _, r := range refundRules {
		if v := p[r.name]; v != "" && !r.ok(v) {
			return *invalidParam(r.des)
		}
	}
	if u := p["notify_url"]; u != "" && !s.notifyAllowed(u) {
		return failure(wxpay.CodeInvalidRequest, "notify_url不是本模拟器允许通知的地址（notify_url not allowed by this simulator）")
	}
	total, _ := p.Int64("total_fee")
	fee, _ := p.Int64("refund_fee")
	info, why := s.placeRefund(refundAsk{
		outTradeNo: p["out_trade_no"], transactionID: p["transaction_id"], outRefundNo: p["out_refund_no"],
		totalFee: total, refundFee: fee, reason: p["refund_desc"], notifyURL: p["notify_url"],
	})
	switch why {
	case refundNoOrder:
		return failure(wxpay.CodeOrderNotExist, "订单不存在或未支付")
	case refundWrongTotal:
		return failure(wxpay.CodeInvalidRequest, "订单金额total_fee与原订单金额不一致")
	case refundConflict:
		return failure(wxpay.CodeInvalidRequest, "退款单号out_refund_no重复，且与原退款请求的订单或金额不一致")
	case refundNotEnough:
		return failure(CodeNotEnough, "退款金额超过订单可退金额")
	case refundTooMany:
		return failure(wxpay.CodeInvalidRequest, "一笔订单最多退款50次")
	case refundStoreFailed:
		return failure(wxpay.CodeSystemError, "系统超时，请使用相同参数再次调用")
	}
	return success(s.refundReply(info))
}

// CodeNotEnough is the err_code of a refund over what remains refundable.
const CodeNotEnough = "NOTENOUGH"

// refundReply is the success fields of a refund call: the refund as made
// (or as first made, for a repeat).
func (s *Server) refundReply(info RefundInfo) wxpay.Params {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.refunds[info.OutRefundNo]
	if r == nil { // evicted meanwhile: answer from the copy
		return wxpay.Params{"out_refund_no": info.OutRefundNo, "refund_id": info.RefundID,
			"out_trade_no": info.OutTradeNo, "refund_fee": strconv.FormatInt(info.RefundFee, 10)}
	}
	o := r.order
	fee, total := strconv.FormatInt(r.fee, 10), strconv.FormatInt(o.totalFee, 10)
	return wxpay.Params{
		"transaction_id": o.transactionID, "out_trade_no": o.outTradeNo(), "out_refund_no": r.outRefundNo,
		"refund_id": r.refundID, "refund_fee": fee, "settlement_refund_fee": fee, "total_fee": total,
		"settlement_total_fee": total, "cash_fee": total, "cash_refund_fee": fee, "coupon_refund_fee": "0",
		"refund_channel": "",
	}
}

// refundQuery is POST /pay/refundquery: by refund_id, out_refund_no,
// transaction_id or out_trade_no, in WeChat's order of precedence. The
// refunds are listed with indexed fields, _0 first.
func (s *Server) refundQuery(c *call) reply {
	p := c.req
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*refund
	switch {
	case p["refund_id"] != "":
		for _, r := range s.refunds {
			if r.refundID == p["refund_id"] {
				list = []*refund{r}
			}
		}
	case p["out_refund_no"] != "":
		if r := s.refunds[p["out_refund_no"]]; r != nil {
			list = []*refund{r}
		}
	case p["transaction_id"] != "" || p["out_trade_no"] != "":
		if o := s.lookup(p); o != nil {
			list = o.refunds
		}
	default:
		return *lackParam("out_refund_no、out_trade_no、transaction_id或refund_id")
	}
	if len(list) == 0 {
		return failure("REFUNDNOTEXIST", "退款订单查询失败")
	}
	o := list[0].order
	out := wxpay.Params{
		"transaction_id": o.transactionID, "out_trade_no": o.outTradeNo(),
		"total_fee": strconv.FormatInt(o.totalFee, 10), "cash_fee": strconv.FormatInt(o.totalFee, 10),
		"refund_count": strconv.Itoa(len(list)),
	}
	var sum int64
	for i, r := range list {
		n := "_" + strconv.Itoa(i)
		fee := strconv.FormatInt(r.fee, 10)
		sum += r.fee
		out["out_refund_no"+n], out["refund_id"+n] = r.outRefundNo, r.refundID
		out["refund_fee"+n], out["settlement_refund_fee"+n] = fee, fee
		out["refund_status"+n], out["refund_channel"+n] = v2RefundStatus[r.status], "ORIGINAL"
		out["refund_recv_accout"+n] = "支付用户的零钱"
		if r.status == wxpay.RefundSuccess {
			out["refund_success_time"+n] = formatV2RefundTime(r)
		}
	}
	out["refund_fee"] = strconv.FormatInt(sum, 10)
	return success(out)
}

// formatV2RefundTime is a refund's end in v2's refund format,
// yyyy-MM-dd HH:mm:ss, Beijing time.
func formatV2RefundTime(r *refund) string {
	return r.endTime.In(wxpay.Beijing()).Format("2006-01-02 15:04:05")
}

// requireClientCert refuses a /secapi/ call without the merchant's client
// certificate when Options.ClientCertRequired is set. WeChat's front end
// (nginx) answers such a request with a 400 page before any XML is read;
// a certificate of another merchant is refused in XML, as WeChat does.
func (s *Server) requireClientCert(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.ClientCertRequired {
			next.ServeHTTP(w, r)
			return
		}
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			s.log.Info("wxpaysim api: refused without a client certificate", "path", r.URL.Path)
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(noCertPage))
			return
		}
		if cn := r.TLS.VerifiedChains[0][0].Subject.CommonName; cn != s.opts.MchID {
			s.log.Info("wxpaysim api: client certificate of another merchant", "path", r.URL.Path, "cn", cn)
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = w.Write(wxpay.Encode(wxpay.Params{"return_code": "FAIL", "return_msg": "证书已过期或者证书和商户号不匹配"}))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// noCertPage is nginx's answer to a request without a required client
// certificate, the one WeChat's API front end gives.
const noCertPage = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n" +
	"<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n" +
	"<center>No required SSL certificate was sent</center>\r\n</body>\r\n</html>\r\n"
