// Package console is the manager's web console: a page and a script,
// embedded in the binary (nothing is loaded from elsewhere at run time),
// that do through the API what the CLI does. The API authenticates the
// console's requests by the session cookie its login sets, checks the
// CSRF token of every change and refuses changes to read-only users; the
// console only shows what the API allows.
//
// Forms for the configuration resources are made from the API's OpenAPI
// description, which is made from the model's schema: a new field appears
// in the console without console code.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

// Handler serves the console: the page at /, its files under /assets/.
// Every answer forbids framing, inline scripts and anything not from the
// manager itself.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(assets) // paths under /assets/ as embedded
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		switch {
		case r.URL.Path == "/":
			http.ServeFileFS(w, r, sub, "index.html")
		case strings.HasSuffix(r.URL.Path, "/"):
			http.NotFound(w, r) // no directory listings
		default:
			files.ServeHTTP(w, r)
		}
	})
}
