package wxpaysim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// stateFormat names the file's format, so that a file of something else is
// refused rather than taken for an empty simulator.
const stateFormat = "wxpaysim-state/1"

// FileState is a StateStore in one JSON file, for the standalone simulator
// (`wxcheckout sim --state FILE`). Each change rewrites the whole file
// atomically (a temporary file renamed over it), so a crash leaves the old
// file or the new one, never half of one; concurrent saves share a write.
type FileState struct {
	path string

	mu      sync.Mutex
	orders  map[string]fileEntry
	changes int64 // counts changes to orders

	writeMu sync.Mutex
	written int64 // changes the file holds
}

type fileEntry struct {
	Version int64           `json:"version"`
	State   json.RawMessage `json:"state"`
}

type stateFile struct {
	Format string               `json:"format"`
	Orders map[string]fileEntry `json:"orders"`
}

// OpenFileState reads the state file at path; a missing file is an empty
// state, created at the first change. A file that is not a readable state
// file is an error: starting empty would throw its orders away.
func OpenFileState(path string) (*FileState, error) {
	f := &FileState{path: path, orders: make(map[string]fileEntry)}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt: %w", path, err)
	}
	if sf.Format != stateFormat {
		return nil, fmt.Errorf("state file %s: format %q, want %q", path, sf.Format, stateFormat)
	}
	if sf.Orders != nil {
		f.orders = sf.Orders
	}
	return f, nil
}

// LoadSimOrders returns every order's state.
func (f *FileState) LoadSimOrders(context.Context) ([][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([][]byte, 0, len(f.orders))
	for _, e := range f.orders {
		out = append(out, e.State)
	}
	return out, nil
}

// SaveSimOrder stores an order's state unless a newer one is stored, and
// returns once the file holds it.
func (f *FileState) SaveSimOrder(_ context.Context, outTradeNo string, version int64, state []byte) error {
	f.mu.Lock()
	if e, ok := f.orders[outTradeNo]; ok && e.Version >= version {
		f.mu.Unlock()
		return nil
	}
	f.orders[outTradeNo] = fileEntry{Version: version, State: append(json.RawMessage(nil), state...)}
	f.changes++
	mine := f.changes
	f.mu.Unlock()
	return f.flush(mine)
}

// DeleteSimOrders forgets orders and returns once the file no longer holds them.
func (f *FileState) DeleteSimOrders(_ context.Context, outTradeNos []string) error {
	f.mu.Lock()
	for _, no := range outTradeNos {
		delete(f.orders, no)
	}
	f.changes++
	mine := f.changes
	f.mu.Unlock()
	return f.flush(mine)
}

// flush writes the file unless a write since change number upTo already
// did: a caller waiting here while another wrote finds its change written.
func (f *FileState) flush(upTo int64) error {
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	if f.written >= upTo {
		return nil
	}
	f.mu.Lock()
	b, err := json.Marshal(stateFile{Format: stateFormat, Orders: f.orders})
	changes := f.changes
	f.mu.Unlock()
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := writeFileAtomic(f.path, b); err != nil {
		return err
	}
	f.written = changes
	return nil
}

// writeFileAtomic replaces path with b: written and synced to a temporary
// file in the same directory, then renamed over path.
func writeFileAtomic(path string, b []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	// The rename is durable once the directory is; best effort, as some
	// systems cannot sync a directory.
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
