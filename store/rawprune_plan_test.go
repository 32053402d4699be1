package store

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"wxcheckout/models"
)

// TestRawPruneReadsARange: the pruner's walk reads one range of
// idx_order_events_created in its order, never the whole timeline.
func TestRawPruneReadsARange(t *testing.T) {
	s := openTest(t)
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var rows []rawPruneRow
	plan := queryPlan(t, s, func(tx *gorm.DB) *gorm.DB {
		return tx.Model(&models.OrderEvent{}).Select("id, created_at, kind").
			Where(rawPruneWhere, at, at.Add(-time.Hour), at.Add(-time.Hour), 7).Order("created_at, id").Limit(500).Find(&rows)
	})
	t.Logf("plan:\n%s", plan)
	if !strings.Contains(plan, "USING INDEX idx_order_events_created (created_at>? AND created_at<?)") ||
		strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("plan\n%swant a range of idx_order_events_created, no scan, no sort", plan)
	}
}
