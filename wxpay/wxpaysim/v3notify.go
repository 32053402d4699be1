package wxpaysim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	wxpayv3 "wxcheckout/wxpay/v3"
)

// v3Notice is a v3 order's payment notification, built when it is paid
// (or when its resend resumes after a restart): every attempt carries the
// same id and transaction, encrypted afresh and signed at sending time.
type v3Notice struct {
	id         string
	createTime string
	txn        v3Transaction
	refund     *v3RefundResource // a REFUND.* notification's resource, instead of txn
}

// v3Envelope is the JSON body of a v3 notification.
type v3Envelope struct {
	ID           string           `json:"id"`
	CreateTime   string           `json:"create_time"`
	ResourceType string           `json:"resource_type"`
	EventType    string           `json:"event_type"`
	Summary      string           `json:"summary"`
	Resource     wxpayv3.Resource `json:"resource"`
}

// v3Notification builds o's TRANSACTION.SUCCESS notification. Its id is
// derived from the transaction, so a resend resumed after a restart has
// the id of the first send. Guarded by s.mu.
func (s *Server) v3Notification(o *order) notice {
	return notice{
		outTradeNo: o.outTradeNo(), url: o.fields["notify_url"],
		v3: &v3Notice{id: notificationID(o.transactionID), createTime: beijingRFC3339(o.timeEnd), txn: s.transaction(o)},
	}
}

// notificationID is a UUID-shaped id, as WeChat's notification ids are.
func notificationID(transactionID string) string {
	sum := sha256.Sum256([]byte(transactionID))
	h := hex.EncodeToString(sum[:16])
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:32]}, "-")
}

// v3Message encrypts and signs one attempt of n with its faults applied:
// wrong_amount changes the amount inside the resource, bad_resource
// encrypts it with another key, bad_sign signs other bytes than the body.
func (s *Server) v3Message(n *v3Notice, a attemptFaults) outgoing {
	keys := s.opts.V3Keys
	if keys == nil {
		return outgoing{err: fmt.Errorf("wxpaysim: no v3 keys to sign a v3 notification")}
	}
	if n.refund != nil {
		return s.v3RefundMessage(n, a)
	}
	txn := n.txn
	if a.wrongAmount {
		amount := *txn.Amount
		amount.Total++
		if amount.PayerTotal != nil {
			pt := *amount.PayerTotal + 1
			amount.PayerTotal = &pt
		}
		txn.Amount = &amount
	}
	plain, err := json.Marshal(txn)
	if err != nil {
		return outgoing{err: err}
	}
	return s.sealV3(n, "transaction", "TRANSACTION.SUCCESS", "支付成功", plain, a)
}

// sealV3 encrypts plain as a resource of kind (its associated_data and
// original_type), wraps it in the envelope of event and signs it, with the
// bad_resource and bad_sign faults of a applied.
func (s *Server) sealV3(n *v3Notice, kind, event, summary string, plain []byte, a attemptFaults) outgoing {
	keys := s.opts.V3Keys
	apiv3Key := []byte(keys.APIv3Key)
	if a.badResource {
		apiv3Key = []byte(strings.Repeat("0", wxpayv3.KeyLen))
		if string(apiv3Key) == keys.APIv3Key {
			apiv3Key[0] = '1'
		}
	}
	res, err := wxpayv3.Encrypt(apiv3Key, randomAlnum(12), kind, plain, kind)
	if err != nil {
		return outgoing{err: err}
	}
	body, err := json.Marshal(v3Envelope{
		ID: n.id, CreateTime: n.createTime, ResourceType: "encrypt-resource", EventType: event,
		Summary: summary, Resource: res,
	})
	if err != nil {
		return outgoing{err: err}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	signed := body
	if a.badSign {
		signed = append(append([]byte(nil), body...), ' ') // a well-formed signature that does not verify
	}
	if err := s.signV3(h, signed); err != nil {
		return outgoing{err: err}
	}
	return outgoing{body: body, header: h}
}
