package main

import (
	"context"
	"errors"
	"io"
)

func runSim(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return errors.New("sim: not built yet")
}
