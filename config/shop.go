package config

import "fmt"

// loadShop reads DEMO_PRODUCTS: whether a shop with no products gets the
// demo catalog (and its ¥0.01 test item). On in simulator mode, off in real
// mode, so that a real shop never goes live selling the demo.
func (c *Config) loadShop(env func(string, string) string) error {
	def := "0"
	if c.Simulator {
		def = "1"
	}
	switch v := env("DEMO_PRODUCTS", def); v {
	case "1":
		c.DemoProducts = true
	case "0":
		c.DemoProducts = false
	default:
		return fmt.Errorf("DEMO_PRODUCTS %q: want 1 (put the demo catalog into a shop with no products) or 0", v)
	}
	return nil
}
