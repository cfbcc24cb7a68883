package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"golang.org/x/net/netutil"

	"github.com/capstan-wifi/capstan/pki"
	"github.com/capstan-wifi/capstan/pki/scep/scepserver"
)

// public is the unauthenticated HTTP listener: the CRL at /crl and the
// SCEP server at /scep. It carries nothing secret.
type public struct {
	ln  net.Listener
	srv *http.Server
}

func listenPublic(cfg Config, auth *pki.Authority, log *slog.Logger) (*public, error) {
	if cfg.HTTPAddress == "" {
		return &public{}, nil
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddress)
	if err != nil {
		return nil, fmt.Errorf("http listen: %w", err)
	}
	if err := pki.WriteFileAtomic(filepath.Join(cfg.StateDir, HTTPAddressFile), []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		ln.Close()
		return nil, err
	}
	base := cfg.HTTPURL
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); base == "" && !net.ParseIP(host).IsUnspecified() {
		base = "http://" + ln.Addr().String()
	}
	if base != "" {
		auth.SetCRLURL(base + "/crl")
	}
	mux := http.NewServeMux()
	scepSrv, err := scepserver.New(auth, log)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("scep: %w", err)
	}
	mux.Handle("/scep", scepSrv)
	mux.Handle("/scep/pkiclient.exe", scepSrv) // the path older clients append
	mux.Handle("/cgi-bin/pkiclient.exe", scepSrv)
	mux.HandleFunc("GET /crl", func(w http.ResponseWriter, _ *http.Request) {
		der, err := auth.CRL()
		if err != nil {
			log.Error("CRL", "err", err)
			http.Error(w, "CRL unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		_, _ = w.Write(der)
	})
	// Anybody on the network reaches this listener: connections, their
	// time and their headers are bounded.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10}
	return &public{ln: netutil.LimitListener(ln, MaxPublicConns), srv: srv}, nil
}

func (p *public) addr() string {
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

func (p *public) close() {
	if p.ln != nil {
		p.ln.Close()
	}
}

func (p *public) serve(ctx context.Context) error {
	if p.srv == nil {
		return nil
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = p.srv.Shutdown(sctx)
	}()
	if err := p.srv.Serve(p.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// MaxPublicConns bounds the connections the public listener serves at
// once; more wait in the kernel's backlog.
const MaxPublicConns = 256
