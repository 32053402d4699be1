package main

import (
	"context"
	"fmt"
	"io"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fmt.Fprint(stdout, usage)
	return nil
}
