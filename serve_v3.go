package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	"wxcheckout/checkout"
	"wxcheckout/config"
	"wxcheckout/store"
	"wxcheckout/wxpay/v3"
	"wxcheckout/wxpay/wxpaysim"
)

// simV3KeysSetting is the setting that keeps the built-in simulator's v3
// keys (the §7 files, as JSON of file name → content), so that a restart
// and every instance on one PostgreSQL use the same ones.
const simV3KeysSetting = "wxpaysim_v3_keys"

// weChatV3 builds the v3 client behind the checkout's interface: with the
// keys of config (SPEC §7), or with the built-in simulator's (simKeys),
// as a merchant in the middle of a switch would hold them — the WeChat Pay
// public key and the platform certificate both.
func (a *app) weChatV3(base string, simKeys *wxpaysim.V3Keys) (checkout.WeChat, error) {
	cfg := wxpayv3.Config{BaseURL: base, AppID: a.cfg.AppID, MchID: a.cfg.MchID, NotifyURL: a.cfg.NotifyEndpoint(),
		OtherAppIDs: a.cfg.OtherAppIDs()}
	switch {
	case simKeys != nil:
		cfg.Signer = wxpayv3.Signer{MchID: a.cfg.MchID, Serial: simKeys.MchSerial(), Key: simKeys.MchKey}
		cfg.Verifier = wxpayv3.NewVerifier()
		cfg.Verifier.Add(simKeys.PublicKeyID, simKeys.PublicKey())
		cfg.Verifier.Add(simKeys.PlatformSerial(), simKeys.PlatformCert.PublicKey.(*rsa.PublicKey))
		cfg.APIv3Key = []byte(simKeys.APIv3Key)
	case a.cfg.V3 != nil:
		v := a.cfg.V3
		cfg.Signer = wxpayv3.Signer{MchID: a.cfg.MchID, Serial: v.MchCertSerial, Key: v.MchPrivateKey}
		cfg.Verifier = v.Verifier()
		cfg.APIv3Key = v.APIv3Key
	default:
		return nil, errors.New("WXPAY_API_VERSION=v3 without v3 credentials") // config.Load prevents it
	}
	cfg.Observe = a.met.WeChatCall // GET /metrics
	c, err := wxpayv3.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("WeChat Pay API v3: %w", err)
	}
	a.log.Info("WeChat Pay API v3", "merchant_serial", cfg.Signer.Serial, "verify_serials", cfg.Verifier.Serials())
	return wxpayv3.NewAdapter(c, ""), nil
}

// simV3Keys are the built-in simulator's v3 keys in v3 mode, nil in v2:
// made on the first start and kept in the database. Of instances starting
// at once, the first to store its keys wins and every one reads those.
func (a *app) simV3Keys() (*wxpaysim.V3Keys, error) {
	if a.cfg.APIVersion != config.APIv3 {
		return nil, nil
	}
	ctx := context.Background()
	stored, err := a.store.Setting(ctx, simV3KeysSetting)
	if errors.Is(err, store.ErrNotFound) {
		if err := a.createSimV3Keys(ctx); err != nil {
			return nil, err
		}
		stored, err = a.store.Setting(ctx, simV3KeysSetting)
	}
	if err != nil {
		return nil, fmt.Errorf("built-in simulator: v3 keys: %w", err)
	}
	var files map[string][]byte
	if err := json.Unmarshal([]byte(stored), &files); err != nil {
		return nil, fmt.Errorf("built-in simulator: stored v3 keys: %w", err)
	}
	keys, err := wxpaysim.UnmarshalV3Keys(files)
	if err != nil {
		return nil, fmt.Errorf("built-in simulator: stored v3 keys: %w", err)
	}
	return keys, nil
}

// createSimV3Keys stores new keys unless another instance stored its own
// first; the caller reads back whichever won.
func (a *app) createSimV3Keys(ctx context.Context) error {
	keys, err := wxpaysim.GenerateV3Keys(rand.Reader)
	if err != nil {
		return fmt.Errorf("built-in simulator: v3 keys: %w", err)
	}
	b, err := json.Marshal(keys.MarshalPEM())
	if err != nil {
		return err
	}
	if _, err := a.store.CreateSetting(ctx, simV3KeysSetting, string(b)); err != nil {
		return fmt.Errorf("built-in simulator: keep v3 keys: %w", err)
	}
	return nil
}
