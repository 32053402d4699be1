package models

import "time"

// DeliveryState is where a merchant notification stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // to be sent at NextAt
	DeliveryQueued    DeliveryState = "queued"    // waits for an earlier notification of its order
	DeliveryDelivered DeliveryState = "delivered" // the merchant acknowledged it
	DeliveryFailed    DeliveryState = "failed"    // every resend of the schedule failed; an admin may resend
)

// Event types of merchant notifications (SPEC §6).
const (
	TypeOrderPaid       = "order.paid"
	TypeOrderClosed     = "order.closed"
	TypeRefundSucceeded = "refund.succeeded"
)

// ResendSchedule is how long after each failed attempt a merchant
// notification is sent again (SPEC §6); after the last it is failed.
var ResendSchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute, 10 * time.Minute,
	20 * time.Minute, 30 * time.Minute, 30 * time.Minute, 30 * time.Minute, 60 * time.Minute,
	3 * time.Hour, 3 * time.Hour, 3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// Delivery is one notification owed to a gateway order's merchant: written
// in the same transaction as the change it reports (the order turning PAID,
// a refund), so it cannot be lost, and sent by the delivery worker until
// the merchant acknowledges it. Payload is frozen when it is written: the
// epay query (unsigned) or the webhook's JSON body. The signature is made
// at each attempt with the app's key of that moment, so a rotated key
// takes effect for resends.
type Delivery struct {
	ID         uint   `gorm:"primaryKey"`
	OrderID    uint   `gorm:"not null;index"`
	Order      *Order `gorm:"constraint:OnDelete:CASCADE"`
	OutTradeNo string `gorm:"size:32;not null"`
	AppPid     int64  `gorm:"not null;index"`
	// EventID is the webhook event's id: the same on every resend.
	EventID  string        `gorm:"size:40;not null;uniqueIndex"`
	Style    NotifyStyle   `gorm:"size:8;not null"`
	Type     string        `gorm:"size:32;not null"`
	URL      string        `gorm:"size:512;not null"`
	Payload  string        `gorm:"not null"`
	State    DeliveryState `gorm:"size:12;not null;index:idx_deliveries_due,priority:1"`
	NextAt   time.Time     `gorm:"not null;index:idx_deliveries_due,priority:2"`
	Failures int           `gorm:"not null;default:0"` // failed attempts since the schedule (re)started
	Attempts int           `gorm:"not null;default:0"` // all attempts
	// LastStatus is the HTTP status of the last attempt, 0 when none came.
	LastStatus  int
	LastError   string `gorm:"size:300"`
	DeliveredAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Attempt is the outcome of sending a delivery once.
type Attempt struct {
	At       time.Time
	Status   int    // HTTP status; 0 when no reply came
	Reply    string // the first 256 bytes of the reply body
	Err      string // why it failed, when it did: no reply, or a reply that is not an acknowledgement
	OK       bool
	Request  string // what was sent, for the timeline: method and URL, and the body of a POST
	Duration time.Duration
}

// MaxReplyKept is how much of a merchant's reply an attempt keeps.
const MaxReplyKept = 256

// After returns the delivery as it is after the attempt a: delivered, due
// again on the schedule, or failed once the schedule is spent.
func (d Delivery) After(a Attempt) Delivery {
	d.Attempts++
	d.LastStatus, d.LastError = a.Status, a.Err
	if a.OK {
		at := a.At.UTC()
		d.State, d.DeliveredAt, d.LastError = DeliveryDelivered, &at, ""
		return d
	}
	d.Failures++
	if d.Failures > len(ResendSchedule) {
		d.State = DeliveryFailed
		return d
	}
	d.NextAt = a.At.Add(ResendSchedule[d.Failures-1]).UTC()
	return d
}

// Resend puts a delivery back in the queue, due at, with the schedule
// started over: an admin's "resend".
func (d Delivery) Resend(at time.Time) Delivery {
	d.State, d.NextAt, d.Failures = DeliveryPending, at.UTC(), 0
	return d
}
