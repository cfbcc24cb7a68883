// Package api is the manager's REST API (JSON over HTTP, bound to
// localhost by default) and the client the CLI uses to reach it through
// the state directory, where the server records its address and token.
// A request is let in with that bearer token (the CLI, automation) or with
// an administrator's session cookie (POST /api/v1/login; the web
// console), whose changes need its CSRF token and group full.
package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/capstan-wifi/capstan/manager/admin"
	"github.com/capstan-wifi/capstan/manager/console"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/events"
	"github.com/capstan-wifi/capstan/manager/history"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/manager/provision"
	"github.com/capstan-wifi/capstan/pki"
)

// Files in the state directory.
const (
	AddressFile = "api-address"
	TokenFile   = "api-token"
	// CAFile holds the CA that issued the listener's certificate, when the
	// API is served with TLS (a listener that is not loopback only).
	CAFile = "api-ca.pem"
)

// Source is what the API serves.
type Source interface {
	RemoteCaps() []controlplane.RemoteCap
	// RemoteCapsPage is RemoteCaps filtered by match (nil: all) from
	// offset, at most limit rows (-1: all), with the count of matches.
	RemoteCapsPage(match func(*controlplane.RemoteCap) bool, offset, limit int) ([]controlplane.RemoteCap, int)
	// Disconnect closes the sessions of CAPs with these certificate serials.
	Disconnect(serials []string) int
	RegistrationTable() []controlplane.Registration
	RemoveStation(ctx context.Context, mac net.HardwareAddr) error
	// Store is the configuration model.
	Store() *model.Store
	// Interfaces lists the provisioned interfaces of the running CAPs.
	Interfaces() []provision.Interface
	// ProvisionCAP runs the provisioning rules again for one CAP.
	ProvisionCAP(ctx context.Context, ref string) ([]provision.Interface, error)
	// ReselectChannels has one CAP scan and select its open channels again.
	ReselectChannels(ctx context.Context, ref string) ([]provision.Interface, error)
	// Collectors are the Prometheus metrics served at /metrics.
	Collectors() []prometheus.Collector
}

// Server serves the API on one listener.
type Server struct {
	src      Source
	stateDir string
	pki      *pki.Authority
	token    string
	admins   *admin.Store
	sessions *admin.Sessions
	logins   *admin.Logins
	events   *events.Bus
	history  *history.Recorder
	fleet    func(context.Context) []FleetMember // the fleet's managers; nil alone
	srv      *http.Server
	ln       net.Listener
}

// Listen opens addr, makes a token and records both in stateDir (the token
// file 0600). auth may be nil: the PKI resources then answer 404.
func Listen(addr, stateDir string, src Source, auth *pki.Authority) (*Server, error) {
	return ListenWith(addr, stateDir, src, auth, "")
}

// ListenWith is Listen with the name of an imported certificate (with
// its key, in the PKI's store) for a listener beyond loopback; "" has the
// manager's CA issue one.
func ListenWith(addr, stateDir string, src Source, auth *pki.Authority, certName string) (*Server, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	token := hex.EncodeToString(raw[:])
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("api listen: %w", err)
	}
	// Plain HTTP only on loopback: anywhere else passwords and session
	// cookies travel, so the listener speaks TLS with a certificate from
	// the manager's CA that names the listener's addresses.
	var caPEM []byte
	if !isLoopback(ln.Addr()) {
		if auth == nil {
			ln.Close()
			return nil, fmt.Errorf("api listen %s: a listener beyond loopback needs TLS, and so the manager's PKI", addr)
		}
		var cert tls.Certificate
		if certName != "" {
			cert, err = auth.NamedTLSCertificate(certName)
		} else {
			cert, err = auth.WebCertificate(webHosts(ln.Addr()))
		}
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("api TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		// The CLI trusts the chain's last certificate: the manager's CA, or
		// the imported certificate's issuer as imported.
		caPEM = pki.EncodeCertsPEM(auth.CA())
		if certName != "" {
			last, err := x509.ParseCertificate(cert.Certificate[len(cert.Certificate)-1])
			if err == nil {
				caPEM = pki.EncodeCertsPEM(last)
			}
		}
	}
	if err := writeOrRemove(filepath.Join(stateDir, CAFile), caPEM); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api CA: %w", err)
	}
	if err := pki.WriteFileAtomic(filepath.Join(stateDir, TokenFile), []byte(token+"\n"), 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api token: %w", err)
	}
	if err := pki.WriteFileAtomic(filepath.Join(stateDir, AddressFile), []byte(dialAddr(ln.Addr())+"\n"), 0o644); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api address: %w", err)
	}
	admins, err := admin.Open(filepath.Join(stateDir, admin.FileName))
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &Server{src: src, stateDir: stateDir, pki: auth, token: token, ln: ln,
		admins: admins, sessions: admin.NewSessions(), logins: admin.NewLogins()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/session", s.session)
	mux.HandleFunc("POST /api/v1/logout", s.logout)
	s.routeUsers(mux)
	s.routeEvents(mux)
	s.routeHistory(mux)
	s.routeFleet(mux)
	mux.HandleFunc("GET /api/v1/remote-caps", s.remoteCaps)
	s.routeRadios(mux)
	s.routeResources(mux)
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, OpenAPI()) })
	if auth != nil {
		s.routePKI(mux)
	}
	// /metrics carries no secrets and Prometheus scrapes it without the
	// admin token; everything else needs the token.
	reg := prometheus.NewRegistry()
	reg.MustRegister(src.Collectors()...)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	top := http.NewServeMux()
	top.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	top.HandleFunc("POST /api/v1/login", s.login)
	top.Handle("/api/", s.authenticate(mux))
	ui := console.Handler()
	top.Handle("GET /{$}", ui)
	top.Handle("GET /assets/", ui)
	s.srv = &http.Server{Handler: top, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	return s, nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
	}()
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// Client calls a running manager's API.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient finds the manager through stateDir.
func NewClient(stateDir string) (*Client, error) {
	addr, err := os.ReadFile(filepath.Join(stateDir, AddressFile))
	if err != nil {
		return nil, fmt.Errorf("no running manager found in %s (is `capstan-manager serve --state-dir %s` running?): %w", stateDir, stateDir, err)
	}
	token, err := os.ReadFile(filepath.Join(stateDir, TokenFile))
	if err != nil {
		return nil, fmt.Errorf("api token: %w", err)
	}
	c := &Client{
		base:  "http://" + strings.TrimSpace(string(addr)),
		token: strings.TrimSpace(string(token)),
		http:  &http.Client{Timeout: 10 * time.Second},
	}
	switch ca, err := os.ReadFile(filepath.Join(stateDir, CAFile)); {
	case err == nil:
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("api CA %s: no certificate", filepath.Join(stateDir, CAFile))
		}
		c.base = "https://" + strings.TrimSpace(string(addr))
		c.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("api CA: %w", err)
	}
	return c, nil
}

// Get fetches path and decodes the JSON answer into v.
func (c *Client) Get(ctx context.Context, path string, v any) error {
	return c.do(ctx, http.MethodGet, path, nil, v)
}

// Post sends in as JSON to path and decodes the JSON answer into out.
func (c *Client) Post(ctx context.Context, path string, in, out any) error {
	return c.do(ctx, http.MethodPost, path, in, out)
}

// Do sends in (if not nil) as JSON with method to path and decodes the
// JSON answer into out (if not nil).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	return c.do(ctx, method, path, in, out)
}

func (c *Client) do(ctx context.Context, method, path string, in, v any) error {
	var reqBody io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reqBody)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("manager api: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		_ = json.Unmarshal(body, &e)
		if e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("manager api: %s", resp.Status)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(body, v)
}
