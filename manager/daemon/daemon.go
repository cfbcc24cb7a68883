// Package daemon runs `capstan-manager serve`: the state directory, the
// manager's identity certificate, the control plane and the API.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/pki"
)

// Config is what `serve` takes from its flags.
type Config struct {
	StateDir      string
	Name          string
	ListenAddress string
	L2Interfaces  []string
	APIAddress    string
	EchoInterval  time.Duration
	CAPTimeout    time.Duration
	SSID          string
	Logger        *slog.Logger
}

// DefaultStateDir is where serve keeps its files unless told otherwise.
const DefaultStateDir = "/var/lib/capstan"

// Run serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	cn := "capstan-" + baseMACName()
	cert, err := pki.LoadOrCreateIdentity(cfg.StateDir, "manager", cn)
	if err != nil {
		return fmt.Errorf("manager certificate: %w", err)
	}
	name := cfg.Name
	if name == "" {
		name, _ = os.Hostname()
	}
	cp, err := controlplane.New(controlplane.Config{
		Name: name, ListenAddress: cfg.ListenAddress, L2Interfaces: cfg.L2Interfaces,
		Certificate: cert, EchoInterval: cfg.EchoInterval, CAPTimeout: cfg.CAPTimeout, SSID: cfg.SSID, Logger: log,
	})
	if err != nil {
		return err
	}
	srv, err := api.Listen(cfg.APIAddress, cfg.StateDir, cp)
	if err != nil {
		return err
	}
	log.Info("manager started", "name", name, "common_name", cert.Leaf.Subject.CommonName, "api", srv.Addr(), "state_dir", cfg.StateDir)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	apiErr := make(chan error, 1)
	go func() { apiErr <- srv.Serve(ctx) }()
	err = cp.Serve(ctx)
	cancel()
	if aerr := <-apiErr; err == nil {
		err = aerr
	}
	return err
}

// baseMACName is the MAC of the first Ethernet interface, upper-case hex
// without separators (capstan-02AABBCCDDEE), or "000000000000".
func baseMACName() string {
	ifs, _ := net.Interfaces()
	for _, ifi := range ifs {
		if len(ifi.HardwareAddr) == 6 && ifi.Flags&net.FlagLoopback == 0 {
			return strings.ToUpper(strings.ReplaceAll(ifi.HardwareAddr.String(), ":", ""))
		}
	}
	return "000000000000"
}
