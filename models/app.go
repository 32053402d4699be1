package models

import (
	"log/slog"
	"time"
)

// MerchantApp is a shop system that takes payments through the gateway
// (SPEC §6): it signs with Key, which is kept as given because the gateway
// must compute MD5 signatures with it. The key is a secret: never log it.
type MerchantApp struct {
	ID        uint   `gorm:"primaryKey"`
	Pid       int64  `gorm:"uniqueIndex;not null"` // decimal, the first one 1000
	Key       string `gorm:"size:32;not null"`     // 32 letters and digits
	Name      string `gorm:"size:64;not null"`
	Enabled   bool   `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FirstAppPid is the pid of the first merchant app.
const FirstAppPid int64 = 1000

// LogValue keeps the key out of every log line the app is written to.
func (a MerchantApp) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("pid", a.Pid), slog.String("name", a.Name), slog.Bool("enabled", a.Enabled))
}
