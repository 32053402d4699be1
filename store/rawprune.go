package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"wxcheckout/models"
)

// rawPruneKey is the setting holding how far the retention pruner has
// walked idx_order_events_created: "<unix nanoseconds>/<id>" of the last
// event it looked at, so that a restart does not walk the pruned past again.
const rawPruneKey = "raw_prune_cursor"

// rawPruneWhere is one page of idx_order_events_created after the cursor
// (created_at, id) and before the cut-off: the first two terms are the
// index's range, the third skips the cursor's own instant up to its id.
const rawPruneWhere = "created_at < ? AND created_at >= ? AND (created_at > ? OR id > ?)"

// rawPruneRow is what the pruner reads of an event: no bodies yet.
type rawPruneRow struct {
	ID        uint
	CreatedAt time.Time
	Kind      string
}

// PruneRawBodies walks up to limit timeline entries older than cutoff, in
// creation order from where the last call stopped, and drops the raw bodies
// of the routine ones (models.OrderEvent.RawPrunable), keeping their
// RawDigest. It reports how many entries it looked at (fewer than limit:
// the walk has reached cutoff) and how many it pruned. Idempotent: an entry
// already pruned is skipped, and two instances pruning at once write the
// same digest.
func (s *Store) PruneRawBodies(ctx context.Context, cutoff time.Time, limit int) (seen, pruned int, err error) {
	cutoff = cutoff.UTC()
	at, id, err := s.rawPruneCursor(ctx)
	if err != nil {
		return 0, 0, err
	}
	var rows []rawPruneRow
	if err := s.db.WithContext(ctx).Model(&models.OrderEvent{}).Select("id, created_at, kind").
		Where(rawPruneWhere, cutoff, at, at, id).Order("created_at, id").Limit(limit).Find(&rows).Error; err != nil {
		return 0, 0, fmt.Errorf("prune raw bodies: read: %w", err)
	}
	if len(rows) == 0 {
		return 0, 0, nil
	}
	var ids []uint
	for _, r := range rows {
		if routineKind(r.Kind) {
			ids = append(ids, r.ID)
		}
	}
	var evs []models.OrderEvent
	if len(ids) > 0 {
		if err := s.db.WithContext(ctx).Select("id, kind, request, response, raw_digest").
			Where("id IN ?", ids).Find(&evs).Error; err != nil {
			return 0, 0, fmt.Errorf("prune raw bodies: read bodies: %w", err)
		}
	}
	last := rows[len(rows)-1]
	cursor := strconv.FormatInt(last.CreatedAt.UnixNano(), 10) + "/" + strconv.FormatUint(uint64(last.ID), 10)
	err = s.write(ctx, func(tx *gorm.DB) error {
		pruned = 0
		for i := range evs {
			ev := &evs[i]
			if !ev.RawPrunable() {
				continue
			}
			res := tx.Model(&models.OrderEvent{}).Where("id = ? AND raw_digest = ''", ev.ID).
				Updates(map[string]any{"request": "", "response": "", "raw_digest": models.RawDigestOf(ev.Request, ev.Response)})
			if res.Error != nil {
				return res.Error
			}
			pruned += int(res.RowsAffected)
		}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).
			Create(&models.Setting{Key: rawPruneKey, Value: cursor}).Error
	})
	if err != nil {
		return 0, 0, fmt.Errorf("prune raw bodies: %w", err)
	}
	return len(rows), pruned, nil
}

// MarkRawPruned records the pruner's walk as done up to at: for a bulk
// load (internal/seed) whose older entries were loaded already pruned.
func (s *Store) MarkRawPruned(ctx context.Context, at time.Time) error {
	cursor := strconv.FormatInt(at.UTC().UnixNano(), 10) + "/0"
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).
		Create(&models.Setting{Key: rawPruneKey, Value: cursor}).Error
}

func routineKind(k string) bool {
	for _, r := range models.RoutineRawKinds {
		if k == r {
			return true
		}
	}
	return false
}

// rawPruneCursor is where the last walk stopped; the zero instant at first.
func (s *Store) rawPruneCursor(ctx context.Context) (time.Time, uint, error) {
	v, err := s.Setting(ctx, rawPruneKey)
	if errors.Is(err, ErrNotFound) {
		return time.Unix(0, 0).UTC(), 0, nil
	}
	if err != nil {
		return time.Time{}, 0, err
	}
	ns, id, ok := strings.Cut(v, "/")
	n, err1 := strconv.ParseInt(ns, 10, 64)
	i, err2 := strconv.ParseUint(id, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return time.Unix(0, 0).UTC(), 0, nil // unreadable: walk again from the start, which is only slower
	}
	return time.Unix(0, n).UTC(), uint(i), nil
}
