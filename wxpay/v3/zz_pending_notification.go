package wxpayv3

import "wxcheckout/wxpay"

// Notification is a verified v3 notification (the agreed design; helper A's
// adapter defines it). This placeholder lets the checkout compile until that
// branch is merged, and is deleted then.
type Notification struct {
	ID          string
	EventType   string
	Summary     string
	Transaction *wxpay.Notification
	Plaintext   []byte
}
