package store

import "testing"

// SetExportBatch makes EachOrder read n orders per query for one test, so
// that a few orders cross batch boundaries.
func SetExportBatch(tb testing.TB, n int) {
	old := exportBatch
	exportBatch = n
	tb.Cleanup(func() { exportBatch = old })
}
