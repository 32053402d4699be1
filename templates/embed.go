// Package templates holds the server-rendered pages, embedded in the binary.
package templates

import "embed"

// FS holds layout.html (the frame every page shares) and one file per page.
//
//go:embed *.html
var FS embed.FS
