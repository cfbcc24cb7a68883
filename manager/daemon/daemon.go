// Package daemon runs `capstan-manager serve`: the state directory, the
// PKI, the control plane, the admin API and the public HTTP listener (CRL
// and SCEP).
package daemon

import (
	"context"
	"fmt"
	"github.com/capstan-wifi/capstan/manager/dataplane"
	"github.com/capstan-wifi/capstan/manager/events"
	"github.com/capstan-wifi/capstan/manager/history"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/internal/buildinfo"
	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/manager/channel"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/fleetstore"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/pki"
)

// Config is what `serve` takes from its flags.
type Config struct {
	StateDir      string
	Name          string
	ListenAddress string
	L2Interfaces  []string
	APIAddress    string
	// APICertificate names an imported certificate (with its key) for an
	// API listener beyond loopback; "" has the manager's CA issue one.
	APICertificate string
	EchoInterval   time.Duration
	CAPTimeout     time.Duration
	// MaxCAPs bounds the CAPs joined at once (0: the control plane's default).
	MaxCAPs int
	// SSID, if set, is given to every radio: see QuickStart.
	SSID string
	// Certificate and CACertificate are "auto" or names of imported
	// certificates (CAPsMAN's certificate and ca-certificate).
	Certificate, CACertificate string
	KeyType                    pki.KeyType
	RequirePeerCertificate     bool
	Enrollment                 pki.Policy
	PreApproved                []string // base MACs or patterns adopted without asking
	TrustedCAs                 []string // imported CA certificates whose CAP certificates are accepted
	CAPCertificateLifetime     time.Duration
	// HTTPAddress is the public listener for /crl and /scep ("" = none);
	// HTTPURL its base URL as CAPs reach it, written into certificates as
	// the CRL distribution point (derived from HTTPAddress when its host is
	// specific).
	HTTPAddress, HTTPURL string
	// Store shares the fleet's state with other managers (etcd); its zero
	// value keeps everything in StateDir.
	Store  StoreConfig
	Logger *slog.Logger
}

// HTTPAddressFile records the public HTTP listener's address in the state
// directory.
const HTTPAddressFile = "http-address"

// DefaultStateDir is where serve keeps its files unless told otherwise.
const DefaultStateDir = "/var/lib/capstan"

// Run serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The event log (the console's live view) is what the manager logs at
	// INFO and above.
	bus := events.NewBus(events.DefaultKeep)
	log = slog.New(events.Handler(log.Handler(), bus))
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	name := cfg.Name
	if name == "" {
		name, _ = os.Hostname()
	}
	var fleet *fleetstore.Store
	var fleetPKI pki.Fleet
	var err error
	if cfg.Store.URL != "" {
		var kek *fleetstore.KEK
		if fleet, kek, err = openFleet(ctx, cfg.Store); err != nil {
			return err
		}
		defer fleet.Close()
		fleetPKI = fleetstore.NewPKI(ctx, fleet, kek)
	}
	auth, err := pki.OpenAuthority(pki.AuthorityConfig{
		Dir: filepath.Join(cfg.StateDir, "pki"), BaseMAC: baseMACName(), KeyType: cfg.KeyType,
		CA: cfg.CACertificate, Certificate: cfg.Certificate, CAPLifetime: cfg.CAPCertificateLifetime, Policy: cfg.Enrollment,
		PreApproved: cfg.PreApproved, Trusted: cfg.TrustedCAs, Fleet: fleetPKI,
	})
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	store, err := model.Open(cfg.StateDir)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	saved, err := channel.OpenSaved(cfg.StateDir)
	if err != nil {
		return fmt.Errorf("selected channels: %w", err)
	}
	var dir controlplane.Directory
	var offers controlplane.Offers
	if fleet != nil {
		if offers, err = fleetstore.OpenOffers(ctx, fleet, log); err != nil {
			return fmt.Errorf("upgrade offers: %w", err)
		}
		if store, err = fleetstore.OpenConfig(ctx, fleet, store.Config(), log); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		if saved, err = fleetstore.OpenChannels(ctx, fleet, saved, log); err != nil {
			return fmt.Errorf("selected channels: %w", err)
		}
		d, err := fleetstore.OpenDirectory(ctx, fleet, name, log)
		if err != nil {
			return fmt.Errorf("fleet directory: %w", err)
		}
		dir = d
	}
	if cfg.SSID != "" {
		if err := QuickStart(store, cfg.SSID); err != nil {
			return fmt.Errorf("--ssid: %w", err)
		}
	}
	cert := auth.TLSCertificate()
	plane := dataplane.New(log)
	defer plane.Close()
	cp, err := controlplane.New(controlplane.Config{
		Plane: plane, Name: name, ListenAddress: cfg.ListenAddress, L2Interfaces: cfg.L2Interfaces,
		Certificate: cert, Authority: auth, RequirePeerCertificate: cfg.RequirePeerCertificate, EchoInterval: cfg.EchoInterval, CAPTimeout: cfg.CAPTimeout, MaxCAPs: cfg.MaxCAPs, Store: store, Channels: saved, Directory: dir, Offers: offers, Logger: log,
	})
	if err != nil {
		return err
	}
	if fd, ok := dir.(*fleetstore.Directory); ok {
		fd.OnKick(func(ctx context.Context, mac string) error {
			m, err := net.ParseMAC(mac)
			if err != nil {
				return err
			}
			return cp.RemoveStationHere(ctx, m)
		})
	}
	if fleet != nil {
		go fleetstore.RunElected(ctx, fleet, name, log, func(ctx context.Context) { fleetstore.PublishCRL(ctx, fleet, auth, log) })
		if err := fleetstore.FollowPKI(ctx, fleet, auth, func(serials []string) { cp.Disconnect(serials) }, log); err != nil {
			return fmt.Errorf("fleet PKI: %w", err)
		}
	}
	pub, err := listenPublic(cfg, auth, log)
	if err != nil {
		return err
	}
	srv, err := api.ListenWith(cfg.APIAddress, cfg.StateDir, cp, auth, cfg.APICertificate)
	if err != nil {
		pub.close()
		return err
	}
	if fleet != nil {
		fd, _ := dir.(*fleetstore.Directory)
		members, err := fleetstore.OpenMembers(ctx, fleet, fleetstore.Member{Name: name, Control: cfg.ListenAddress,
			Version: buildinfo.Version, Since: time.Now()}, fd, log)
		if err != nil {
			pub.close()
			return fmt.Errorf("fleet members: %w", err)
		}
		srv.SetFleet(func(ctx context.Context) []api.FleetMember {
			var out []api.FleetMember
			for _, m := range members.List(ctx) {
				out = append(out, api.FleetMember(m))
			}
			return out
		})
		users, err := fleetstore.OpenUsers(ctx, fleet, srv.Users(), log)
		if err != nil {
			pub.close()
			return fmt.Errorf("administrators: %w", err)
		}
		srv.SetUsers(users)
	}
	srv.SetEvents(bus)
	rec := history.New(func() history.Sample { return fleetSample(cp) }, history.Every, history.Keep)
	srv.SetHistory(rec)
	log.Info("manager started", "name", name, "common_name", cert.Leaf.Subject.CommonName, "ca", auth.CA().Subject.CommonName,
		"ca_sha256", pki.Fingerprint(auth.CA()),
		"require_peer_certificate", cfg.RequirePeerCertificate, "enrollment", auth.Policy(),
		"api", srv.Addr(), "http", pub.addr(), "state_dir", cfg.StateDir, "store", cfg.Store.URL)
	errs := make(chan error, 2)
	go rec.Run(ctx)
	go func() { errs <- srv.Serve(ctx) }()
	go func() { errs <- pub.serve(ctx) }()
	err = cp.Serve(ctx)
	cancel()
	for range 2 {
		if e := <-errs; err == nil {
			err = e
		}
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

// QuickStartName names the configuration and the provisioning rule
// QuickStart makes.
const QuickStartName = "default"

// QuickStart makes every radio serve ssid: it sets the ssid of the
// configuration "default" (creating it) and appends a provisioning rule
// that gives every radio a dynamic interface with it, unless an enabled
// rule for that configuration exists. The change is saved like any other.
func QuickStart(store *model.Store, ssid string) error {
	_, err := store.Update(func(c *model.Config) error {
		ch, err := model.ParseChange(mustResource("configuration"), map[string]any{"name": QuickStartName, "ssid": ssid})
		if err != nil {
			return err
		}
		if i, err := c.Find("configuration", QuickStartName); err == nil {
			c.Set("configuration", i, model.Change{"ssid": ch["ssid"]})
		} else if _, err := c.Add("configuration", ch, -1); err != nil {
			return err
		}
		for _, r := range c.Items("provisioning") {
			if r.String("master-configuration") == QuickStartName && !r.Disabled() {
				return nil
			}
		}
		_, err = c.Add("provisioning", model.Change{"action": model.ActionCreateDynamicEnabled,
			"master-configuration": QuickStartName, "comment": "added by serve --ssid"}, -1)
		return err
	})
	return err
}

func mustResource(name string) *model.Resource {
	r, ok := model.Lookup(name)
	if !ok {
		panic("no resource " + name)
	}
	return r
}

// fleetSample is one history sample of the control plane's fleet.
func fleetSample(cp *controlplane.Server) history.Sample {
	var s history.Sample
	for _, c := range cp.RemoteCaps() {
		s.CAPs++
		if c.State == "run" {
			s.InRun++
		}
	}
	for _, r := range cp.RegistrationTable() {
		s.Clients++
		s.Bytes += r.TxBytes + r.RxBytes
	}
	return s
}
