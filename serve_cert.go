package main

import (
	"crypto/tls"
	"strings"

	"wxcheckout/wxpay"
)

// clientCert is the merchant certificate API v2's refunds present
// (/secapi/ over mutual TLS): the configured one; or, for a simulator
// reached over plain HTTP (the built-in one at /sim), where no TLS takes
// place, a throwaway one, so that refunds work there with nothing to set
// up. Otherwise nil: refunds then say which variables to set.
func (a *app) clientCert(base string) (*tls.Certificate, error) {
	if a.cfg.ClientCert != nil {
		return &a.cfg.ClientCert.Certificate, nil
	}
	if !a.cfg.Simulator || !strings.HasPrefix(base, "http://") {
		return nil, nil
	}
	return wxpay.SelfSignedClientCert(a.cfg.MchID)
}
