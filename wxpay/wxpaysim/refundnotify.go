package wxpaysim

import (
	"bytes"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"wxcheckout/wxpay"
)

// refundNotification builds r's notification once it has ended: v2's
// req_info fields, or v3's REFUND.* resource. Guarded by s.mu.
func (s *Server) refundNotification(r *refund) *notice {
	o := r.order
	n := &notice{outTradeNo: o.outTradeNo(), outRefundNo: r.outRefundNo, url: r.notifyURL}
	if r.v3 {
		res := s.v3RefundResource(r)
		n.v3 = &v3Notice{
			id: notificationID(r.refundID + r.status), createTime: beijingRFC3339(r.endTime), refund: &res,
		}
		return n
	}
	fee, total := strconv.FormatInt(r.fee, 10), strconv.FormatInt(o.totalFee, 10)
	n.refundInfo = wxpay.Params{
		"out_refund_no": r.outRefundNo, "out_trade_no": o.outTradeNo(), "refund_id": r.refundID,
		"transaction_id": o.transactionID, "total_fee": total, "settlement_total_fee": total,
		"refund_fee": fee, "settlement_refund_fee": fee, "refund_status": v2RefundStatus[r.status],
		"refund_recv_accout": "支付用户的零钱", "refund_account": "REFUND_SOURCE_UNSETTLED_FUNDS",
		"refund_request_source": "API",
	}
	if r.status == wxpay.RefundSuccess {
		n.refundInfo["success_time"] = formatV2RefundTime(r)
	}
	return n
}

// refundMessage is one attempt of a v2 refund notification: no sign, the
// refund in req_info, encrypted with the md5 of the API key, which is the
// proof that it comes from WeChat. Faults: wrong_amount adds a fen to
// refund_fee, bad_sign encrypts with another key.
func (s *Server) refundMessage(n notice, a attemptFaults) outgoing {
	info := n.refundInfo
	if a.wrongAmount {
		info = wxpay.Params{}
		for k, v := range n.refundInfo {
			info[k] = v
		}
		fee, _ := info.Int64("refund_fee")
		info["refund_fee"] = strconv.FormatInt(fee+1, 10)
	}
	key := s.opts.APIKey
	if a.badSign {
		key += "-not-the-key"
	}
	p := wxpay.Params{
		"return_code": "SUCCESS", "appid": s.opts.AppID, "mch_id": s.opts.MchID, "nonce_str": wxpay.NewNonce(),
		"req_info": EncryptReqInfo(rootDocument(info), key),
	}
	h := http.Header{}
	h.Set("Content-Type", "text/xml; charset=utf-8")
	return outgoing{body: wxpay.Encode(p), header: h}
}

// rootDocument is p as WeChat writes req_info's plaintext: the flat
// document of wxpay.Encode under <root> instead of <xml>.
func rootDocument(p wxpay.Params) []byte {
	b := wxpay.Encode(p)
	b = bytes.TrimPrefix(b, []byte("<xml>"))
	b = bytes.TrimSuffix(b, []byte("</xml>"))
	return append(append([]byte("<root>"), b...), "</root>"...)
}

// EncryptReqInfo is a v2 refund notification's req_info for plaintext:
// base64 of AES-256-ECB with PKCS#7 padding, the key being the 32 ASCII
// characters of the lower-case hex MD5 of the API key.
func EncryptReqInfo(plaintext []byte, apiKey string) string {
	sum := md5.Sum([]byte(apiKey))
	block, err := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	if err != nil {
		panic(err) // a 32-byte key: cannot fail
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := append(bytes.Clone(plaintext), bytes.Repeat([]byte{byte(pad)}, pad)...)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize]) // ECB: each block alone
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// refundsJSON is GET /control/refunds.
func (s *Server) refundsJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(s.Refunds())
}
