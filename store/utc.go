package store

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Instants are stored in UTC, whatever the caller's zone. SQLite keeps a
// time as text with its offset and compares text: a time written in
// Asia/Shanghai ("…18:00:00+08:00") sorts after the same instant in UTC
// ("…10:00:00+00:00"), and the reconciler, expiry and admin filters ran
// eight hours late. So every time a row is created or updated with goes
// through toUTC first, and the store's queries pass their bounds in UTC.

var (
	timeType    = reflect.TypeFor[time.Time]()
	timePtrType = reflect.TypeFor[*time.Time]()
)

func registerUTC(db *gorm.DB) error {
	if err := db.Callback().Create().Before("gorm:create").Register("wxcheckout:utc", toUTC); err != nil {
		return err
	}
	return db.Callback().Update().Before("gorm:update").Register("wxcheckout:utc", toUTC)
}

// toUTC converts the times in what a statement writes: a struct, a slice
// of them, or a map of columns.
func toUTC(db *gorm.DB) {
	st := db.Statement
	if m, ok := st.Dest.(map[string]any); ok {
		for k, v := range m {
			if t, ok := v.(time.Time); ok {
				m[k] = t.UTC()
			}
		}
		return
	}
	utcValue(reflect.ValueOf(st.Dest), 0)
	utcValue(st.ReflectValue, 0)
}

func utcValue(v reflect.Value, depth int) {
	if depth > 3 || !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			utcValue(v.Elem(), depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			utcValue(v.Index(i), depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			switch {
			case !f.CanSet():
			case f.Type() == timeType:
				f.Set(reflect.ValueOf(f.Interface().(time.Time).UTC()))
			case f.Type() == timePtrType && !f.IsNil():
				u := f.Elem().Interface().(time.Time).UTC()
				f.Set(reflect.ValueOf(&u))
			case f.Kind() == reflect.Struct:
				utcValue(f, depth+1)
			}
		}
	}
}

// utcDone marks a database whose times were all brought to UTC.
const utcDone = "schema:times_utc"

// normalizeStoredTimes rewrites in UTC every time an older version stored
// with the server's offset. It runs once per database; SQLite only (the
// text form with an offset is SQLite's).
func (s *Store) normalizeStoredTimes(models ...any) error {
	var n int64
	if err := s.db.Table("settings").Where("key = ?", utcDone).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	return s.db.Transaction(func(tx *gorm.DB) error {
		for _, m := range models {
			stmt := &gorm.Statement{DB: tx}
			if err := stmt.Parse(m); err != nil {
				return err
			}
			for _, f := range stmt.Schema.Fields {
				if f.FieldType != timeType && f.FieldType != timePtrType {
					continue
				}
				if err := utcColumn(tx, stmt.Schema.Table, f.DBName); err != nil {
					return err
				}
			}
		}
		return tx.Exec("INSERT INTO settings (key, value, created_at, updated_at) VALUES (?, '1', ?, ?)",
			utcDone, time.Now().UTC(), time.Now().UTC()).Error
	})
}

// sqliteTimeFormat is how the SQLite driver writes a time.
const sqliteTimeFormat = "2006-01-02 15:04:05.999999999-07:00"

func utcColumn(tx *gorm.DB, table, col string) error {
	var rows []struct {
		RowID int64
		Value string
	}
	err := tx.Raw(fmt.Sprintf(`SELECT rowid AS row_id, CAST(%q AS TEXT) AS value FROM %q WHERE %q IS NOT NULL AND %q NOT LIKE '%%+00:00' AND %q NOT LIKE '%%Z'`,
		col, table, col, col, col)).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("times of %s.%s: %w", table, col, err)
	}
	for _, r := range rows {
		t, err := time.Parse(sqliteTimeFormat, strings.TrimSpace(r.Value))
		if err != nil {
			continue // not a time with an offset: leave it as it is
		}
		if err := tx.Exec(fmt.Sprintf(`UPDATE %q SET %q = ? WHERE rowid = ?`, table, col), t.UTC(), r.RowID).Error; err != nil {
			return fmt.Errorf("rewrite %s.%s in UTC: %w", table, col, err)
		}
	}
	return nil
}
