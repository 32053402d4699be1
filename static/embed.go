// Package static holds the CSS, scripts and images, embedded in the binary:
// nothing is loaded from a CDN, so the shop works offline.
package static

import "embed"

// FS is served under /static/.
//
//go:embed *.css *.js *.svg
var FS embed.FS
