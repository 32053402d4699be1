package config

import "fmt"

// minMetricsToken: the token opens the shop's numbers to anyone who has
// it, from anywhere; a short one falls to guessing.
const minMetricsToken = 16

// loadMetricsToken checks METRICS_TOKEN: unset, or at least 16 printable
// ASCII characters without spaces, as a bearer token is sent.
func loadMetricsToken(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return "", fmt.Errorf("METRICS_TOKEN: want printable ASCII without spaces (a bearer token), got a %q", r)
		}
	}
	if len(v) < minMetricsToken {
		return "", fmt.Errorf("METRICS_TOKEN: want at least %d characters, got %d; or leave it unset to serve /metrics to loopback only",
			minMetricsToken, len(v))
	}
	return v, nil
}
