package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunRefusesBadConfigurationByName(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), nil, func(k string) string {
		if k == "ORDER_TTL" {
			return "a while"
		}
		return ""
	}, &out)
	if err == nil || !strings.Contains(err.Error(), "ORDER_TTL") {
		t.Errorf("run = %v, want an error naming ORDER_TTL", err)
	}
}

func TestRunUnknownCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out); err == nil {
		t.Error("unknown command accepted")
	}
	if err := run(context.Background(), []string{"help"}, func(string) string { return "" }, &out); err != nil || !strings.Contains(out.String(), "wxcheckout sim") {
		t.Errorf("help = %v, %q", err, out.String())
	}
}
