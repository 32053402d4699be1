package main

import (
	"io"
	"log/slog"

	"wxcheckout/config"
)

// newLogger is the app's log as LOG_FORMAT and LOG_LEVEL say: slog's
// key=value text by default, one JSON object a line with LOG_FORMAT=json.
func newLogger(w io.Writer, l config.Log) *slog.Logger {
	opts := &slog.HandlerOptions{Level: l.Level}
	if l.JSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
