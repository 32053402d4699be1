package checkout

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"wxcheckout/gateway"
	"wxcheckout/models"
)

// Merchant apps (SPEC §6): the shop systems that take payments through the
// gateway. Keys are drawn from the service's random source; the log names
// apps by pid and never shows a key.

// maxAppName is the longest app name, in characters: the column's size.
const maxAppName = 64

// Apps lists every merchant app by pid.
func (s *Service) Apps(ctx context.Context) ([]models.MerchantApp, error) {
	apps, err := s.store.Apps(ctx)
	return apps, lookupError(err, msgAppNotFound)
}

// App is one merchant app, enabled or not.
func (s *Service) App(ctx context.Context, pid int64) (*models.MerchantApp, error) {
	a, err := s.store.AppByPid(ctx, pid)
	return a, lookupError(err, msgAppNotFound)
}

// CreateApp creates an enabled app with the next pid and a new key.
func (s *Service) CreateApp(ctx context.Context, name, actor string) (*models.MerchantApp, error) {
	name, err := appName(name)
	if err != nil {
		return nil, err
	}
	key, err := gateway.NewAppKey(s.rand)
	if err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	a, err := s.store.CreateApp(ctx, name, key)
	if err != nil {
		return nil, lookupError(err, msgAppNotFound)
	}
	s.log.Info("merchant app created", "app", a, "actor", actor)
	return a, nil
}

// RotateAppKey gives an app a new key; the old one stops working at once.
func (s *Service) RotateAppKey(ctx context.Context, pid int64, actor string) (*models.MerchantApp, error) {
	key, err := gateway.NewAppKey(s.rand)
	if err != nil {
		return nil, newError(KindInternal, msgInternal, err)
	}
	a, err := s.store.SetAppKey(ctx, pid, key)
	if err != nil {
		return nil, lookupError(err, msgAppNotFound)
	}
	s.log.Info("merchant app key rotated", "app", a, "actor", actor)
	return a, nil
}

// SetAppEnabled enables or disables an app.
func (s *Service) SetAppEnabled(ctx context.Context, pid int64, enabled bool, actor string) (*models.MerchantApp, error) {
	a, err := s.store.SetAppEnabled(ctx, pid, enabled)
	if err != nil {
		return nil, lookupError(err, msgAppNotFound)
	}
	s.log.Info("merchant app enabled changed", "app", a, "actor", actor)
	return a, nil
}

// EnsureApp makes an enabled app with exactly this pid and key exist
// (GATEWAY_PID and GATEWAY_KEY): created with name, or given the key.
func (s *Service) EnsureApp(ctx context.Context, pid int64, key, name string) (*models.MerchantApp, error) {
	if pid < models.FirstAppPid || !gateway.ValidAppKey(key) {
		return nil, newError(KindInvalid, msgBadAppKey, fmt.Errorf("ensure app %d: invalid pid or key", pid))
	}
	name, err := appName(name)
	if err != nil {
		return nil, err
	}
	a, created, err := s.store.EnsureApp(ctx, pid, key, name)
	if err != nil {
		return nil, lookupError(err, msgAppNotFound)
	}
	if created {
		s.log.Info("merchant app created from GATEWAY_PID and GATEWAY_KEY", "app", a)
	} else {
		s.log.Info("merchant app given the key of GATEWAY_KEY", "app", a)
	}
	return a, nil
}

// appName trims a name and checks it: 1 to maxAppName printable characters.
func appName(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if n == 0 || n > maxAppName || !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool {
		return !unicode.IsPrint(r)
	}) >= 0 {
		return "", newError(KindInvalid, msgAppName, fmt.Errorf("app name of %d characters", n), maxAppName)
	}
	return name, nil
}
