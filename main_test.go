package main

import (
	"bytes"
	"context"
	"net"
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

// A start-up error after the listener opened is returned, not a panic, and
// the port is free again.
func TestRunStartUpErrorClosesTheListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	vars := map[string]string{"ADDR": addr, "DATABASE_URL": "sqlite:/nonexistent-dir/x.db"}
	var out bytes.Buffer
	err = run(context.Background(), nil, func(k string) string { return vars[k] }, &out)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("run = %v, want an error naming DATABASE_URL", err)
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("%s still taken after the failed start: %v", addr, err)
	}
	ln.Close()
}
