// Package api is the manager's REST API (JSON over HTTP, bearer-token auth,
// bound to localhost by default) and the client the CLI uses to reach it
// through the state directory, where the server records its address and
// token.
package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
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

	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/pki"
)

// Files in the state directory.
const (
	AddressFile = "api-address"
	TokenFile   = "api-token"
)

// Source is what the API serves.
type Source interface {
	RemoteCaps() []controlplane.RemoteCap
}

// Server serves the API on one listener.
type Server struct {
	src   Source
	token string
	srv   *http.Server
	ln    net.Listener
}

// Listen opens addr, makes a token and records both in stateDir (the token
// file 0600).
func Listen(addr, stateDir string, src Source) (*Server, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	token := hex.EncodeToString(raw[:])
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("api listen: %w", err)
	}
	if err := pki.WriteFileAtomic(filepath.Join(stateDir, TokenFile), []byte(token+"\n"), 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api token: %w", err)
	}
	if err := pki.WriteFileAtomic(filepath.Join(stateDir, AddressFile), []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		ln.Close()
		return nil, fmt.Errorf("api address: %w", err)
	}
	s := &Server{src: src, token: token, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/remote-caps", s.remoteCaps)
	s.srv = &http.Server{Handler: s.auth(mux), ReadHeaderTimeout: 5 * time.Second}
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

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) remoteCaps(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.src.RemoteCaps())
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
	return &Client{
		base:  "http://" + strings.TrimSpace(string(addr)),
		token: strings.TrimSpace(string(token)),
		http:  &http.Client{Timeout: 10 * time.Second},
	}, nil
}

// Get fetches path and decodes the JSON answer into v.
func (c *Client) Get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("manager api: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("manager api: %s: %s", resp.Status, e.Error)
	}
	return json.Unmarshal(body, v)
}
