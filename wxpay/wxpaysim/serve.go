package wxpaysim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Serve opens a simulator (loading opts.State) and runs it on ln until ctx ends, then shuts down gracefully:
// in-flight calls get a few seconds to finish and every notification
// delivery is stopped. The caller opens ln (so ":0" works and the address
// is known before anything is served).
func Serve(ctx context.Context, ln net.Listener, opts Options) error {
	sim, err := Open(ctx, opts)
	if err != nil {
		return err
	}
	defer sim.Close()
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Hung calls (the hang fault) end when the simulator closes, so close
	// it first or Shutdown would wait for them.
	sim.Close()
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
