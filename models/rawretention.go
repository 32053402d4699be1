package models

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
)

// RoutineRawKinds are the timeline entries whose raw bodies
// RAW_BODY_RETENTION drops once they are older than the retention: the
// routine calls to WeChat (unifiedorder, orderquery, closeorder, API v2 or
// v3: both record under these kinds) and the notifications sent to a
// gateway order's merchant. Everything else keeps its bodies forever: the
// notifications from WeChat (v2 and v3, verified or refused, payment or
// refund), refund calls and refund queries, admin and status entries (which
// have none). See docs/admin.md.
var RoutineRawKinds = []string{EventUnifiedOrder, EventQuery, EventClose, EventDelivery}

// paidReply matches an orderquery reply (v2 XML or v3 JSON) saying the
// trade was paid: such a query may be what confirmed the payment, so it is
// evidence and kept like a notification.
var paidReply = regexp.MustCompile(`trade_state(?:>|"\s*:\s*")(?:<!\[CDATA\[)?(?:SUCCESS|REFUND)\b`)

// RawPrunable reports whether the retention pruner may drop the event's
// raw bodies: a routine kind, bodies still there, and not an orderquery
// that found the trade paid.
func (e *OrderEvent) RawPrunable() bool {
	if e.RawDigest != "" || (e.Request == "" && e.Response == "") {
		return false
	}
	routine := false
	for _, k := range RoutineRawKinds {
		routine = routine || e.Kind == k
	}
	if !routine {
		return false
	}
	return e.Kind != EventQuery || !paidReply.MatchString(e.Response)
}

// RawDigestOf is what RawDigest keeps of dropped bodies: the sha256 of the
// request, a NUL byte and the response, and both sizes in bytes.
func RawDigestOf(request, response string) string {
	h := sha256.New()
	h.Write([]byte(request))
	h.Write([]byte{0})
	h.Write([]byte(response))
	return fmt.Sprintf("sha256:%s req=%d resp=%d", hex.EncodeToString(h.Sum(nil)), len(request), len(response))
}
