package models

import "time"

// WxOrder is a further WeChat order placed for an order, in another trade
// type than the order's own (SPEC §9): the JSAPI order of a shopper inside
// WeChat, the MWEB order of a phone browser, the Native QR of an APP order
// opened on a PC. Each has its own out_trade_no; paying any of them pays the
// order, once, through the one confirmation path. Its time_expire is the
// order's, so WeChat closes it when the order's time is up.
type WxOrder struct {
	ID         uint   `gorm:"primaryKey"`
	OrderID    uint   `gorm:"not null;index"`
	OutTradeNo string `gorm:"size:32;uniqueIndex;not null"`
	TradeType  string `gorm:"size:8;not null"`
	AppID      string `gorm:"size:32"`
	OpenID     string `gorm:"size:128"` // JSAPI: the payer's
	ClientIP   string `gorm:"size:64"`  // spbill_create_ip as sent
	Prepay     Prepay `gorm:"size:16;not null"`
	PrepayID   string `gorm:"size:64"`
	// PayURL is the code_url (NATIVE) or mweb_url (MWEB) WeChat answered.
	PayURL     string `gorm:"size:512"`
	FailReason string
	CreatedAt  time.Time
}

// Usable reports whether w can be handed to the shopper again at now for
// the same payer: placed, and for MWEB its mweb_url not yet past WeChat's
// five minutes (less a margin for the redirect).
func (w *WxOrder) Usable(now time.Time, openID, clientIP string) bool {
	if w.Prepay != PrepayDone || w.OpenID != openID {
		return false
	}
	if w.TradeType == "MWEB" {
		return w.ClientIP == clientIP && now.Sub(w.CreatedAt) < MwebURLLife
	}
	return true
}

// MwebURLLife is how long an mweb_url is handed out: WeChat's five
// minutes less a minute for the shopper to get there.
const MwebURLLife = 4 * time.Minute

// WeChatTradeNo is the out_trade_no of the WeChat order that holds the
// order's payment: the one paid, else the order's own.
func (o *Order) WeChatTradeNo() string {
	if o.PaidTradeNo != "" {
		return o.PaidTradeNo
	}
	return o.OutTradeNo
}
