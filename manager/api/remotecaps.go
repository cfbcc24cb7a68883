package api

import (
	"net/http"
	"strconv"

	"github.com/capstan-wifi/capstan/manager/controlplane"
)

// capFields are the remote-cap fields a query may filter on, by JSON name.
var capFields = map[string]func(*controlplane.RemoteCap) string{
	"identity":           func(c *controlplane.RemoteCap) string { return c.Identity },
	"address":            func(c *controlplane.RemoteCap) string { return c.Address },
	"transport":          func(c *controlplane.RemoteCap) string { return c.Transport },
	"base_mac":           func(c *controlplane.RemoteCap) string { return c.BaseMAC },
	"board":              func(c *controlplane.RemoteCap) string { return c.Board },
	"version":            func(c *controlplane.RemoteCap) string { return c.Version },
	"state":              func(c *controlplane.RemoteCap) string { return c.State },
	"common_name":        func(c *controlplane.RemoteCap) string { return c.CommonName },
	"certificate_serial": func(c *controlplane.RemoteCap) string { return c.CertificateSerial },
	"config_error":       func(c *controlplane.RemoteCap) string { return c.ConfigError },
	"radios":             func(c *controlplane.RemoteCap) string { return strconv.Itoa(c.Radios) },
	"clients":            func(c *controlplane.RemoteCap) string { return strconv.Itoa(c.Clients) },
	"manager":            func(c *controlplane.RemoteCap) string { return c.Manager },
}

// MaxPage is the most rows one page of a list returns.
const MaxPage = 5000

// Count is the answer to a count-only query.
type Count struct {
	Count int `json:"count"`
}

// remoteCaps lists the CAPs: every query parameter named after a field
// keeps the rows whose field equals it (state=run), or for "*" is set at
// all (config_error=*); offset and limit
// (at most MaxPage, the default) page the result, whose full length is in
// X-Total-Count; count-only=true answers {"count": N} alone.
func (s *Server) remoteCaps(w http.ResponseWriter, r *http.Request) {
	serveList(capFields, MaxPage, func(q listQuery[controlplane.RemoteCap]) ([]controlplane.RemoteCap, int) {
		return s.src.RemoteCapsPage(q.match, q.offset, q.limit)
	})(w, r)
}
