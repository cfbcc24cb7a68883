package agent

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/internal/uci"
	"github.com/capstan-wifi/capstan/pki"
	"github.com/capstan-wifi/capstan/pki/scepenroll"
)

// Discovery methods on the discovery interfaces.
const (
	MethodDHCP      = "dhcp"      // DHCP option 138 (RFC 5417)
	MethodBroadcast = "broadcast" // IPv4 broadcast
	MethodLayer2    = "layer2"    // raw Ethernet broadcast, EtherType 0x88B5
)

// Config is the agent's settings: CAPsMAN's CAP names with underscores,
// read from UCI (`config agent`) and overridden by flags of the same names.
type Config struct {
	Enabled                       bool
	Interfaces                    []string // radios the manager may run; empty: all
	DiscoveryInterfaces           []string
	ManagerAddresses              []string // IPs or DNS names, optional :port
	ManagerNames                  []string // ordered AC Names; empty: any
	ManagerCertificateCommonNames []string // allowed manager CommonNames; empty: any
	LockToManager                 bool
	Certificate                   string // none, request (in-band from the manager) or scep
	// Capstan's enrollment settings.
	ScepURL            string // SCEP server, e.g. http://manager:5248/scep
	EnrollmentPassword string // one-time password for in-band or SCEP enrollment
	// ManagerCAFingerprint pins first contact: the SHA-256 of the manager's
	// CA certificate (hex, colons allowed). The manager's chain and SCEP's
	// GetCACert must contain that CA and chain to it.
	ManagerCAFingerprint string
	Bridge               string
	// Capstan's own settings.
	Identity       string           // WTP Name; default: the host name
	BaseMAC        net.HardwareAddr // default: the first radio's MAC
	Discovery      []string         // methods on DiscoveryInterfaces; default all three
	ManagerTimeout time.Duration    // the manager is lost after this much silence
	// StationInterval is how often the manager gets fresh statistics of the
	// associated stations; associations and departures go at once.
	StationInterval time.Duration
	StateDir        string
	RunDir          string
	Location        string
	// LogLevel is debug, info, warn or error (the init script passes it
	// to procd's logd too); default info.
	LogLevel string
	// PackageManager installs the agent packages a manager delivers by
	// CAPWAP Image Data: "opkg", "apk", "none", or "auto" (whichever of
	// opkg and apk the AP has).
	PackageManager string
	// PackageArch is the package architecture the manager picks packages
	// by; default OpenWrt's DISTRIB_ARCH, else the Go architecture.
	PackageArch string
	// InstallCommand installs a package file given as its last argument;
	// default by PackageManager (opkg install, apk add).
	InstallCommand []string
	// SCEP enrolls for certificate=scep; default: capstan-agent-scep (its
	// own package) beside the agent or on PATH.
	SCEP scepenroll.Func

	HAL    hal.HAL
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultManagerTimeout = 2500 * time.Millisecond
	// DefaultStationInterval refreshes the registration table's signal,
	// rates and bytes.
	DefaultStationInterval = 5 * time.Second
	DefaultStateDir        = "/etc/capstan"
	DefaultRunDir          = "/var/run/capstan"
)

// DefaultConfig returns the settings an AP in CAP mode starts with.
func DefaultConfig() Config {
	return Config{
		Enabled:        true,
		Discovery:      []string{MethodDHCP, MethodBroadcast, MethodLayer2},
		ManagerTimeout: DefaultManagerTimeout,
		Certificate:    CertificateRequest, // a manager gives configuration only to certified CAPs
		StateDir:       DefaultStateDir,
		RunDir:         DefaultRunDir,
		PackageManager: "auto",
	}
}

// ReadUCI applies the first `config agent` section of r to c.
func (c *Config) ReadUCI(r io.Reader) error {
	secs, err := uci.Parse(r)
	if err != nil {
		return err
	}
	for _, s := range secs {
		if s.Type != "agent" {
			continue
		}
		opts := slices.Clone(s.Options)
		// sort.Slice, not slices.SortFunc, here and on the agent's other
		// cold paths: one sort for every element type instead of about 12
		// KB of code per struct type in the AP's package (make size).
		sort.Slice(opts, func(i, j int) bool { return opts[i].Name < opts[j].Name })
		for _, o := range opts {
			for i, v := range o.Values {
				if err := c.Set(o.Name, v, i > 0); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return errors.New("no `config agent` section")
}

// Set sets one option by its UCI name. For lists, appendTo adds to the
// values already set instead of replacing them; a value may also hold
// several list items separated by commas or spaces.
func (c *Config) Set(key, value string, appendTo bool) error {
	list := func(dst *[]string) {
		if !appendTo {
			*dst = nil
		}
		*dst = append(*dst, strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	boolean := func(dst *bool) error {
		switch value {
		case "1", "on", "true", "yes", "enabled":
			*dst = true
		case "0", "off", "false", "no", "disabled":
			*dst = false
		default:
			return fmt.Errorf("%s: %q is not a boolean (use 1 or 0)", key, value)
		}
		return nil
	}
	switch key {
	case "enabled":
		return boolean(&c.Enabled)
	case "lock_to_manager":
		return boolean(&c.LockToManager)
	case "interfaces":
		list(&c.Interfaces)
	case "discovery_interfaces":
		list(&c.DiscoveryInterfaces)
	case "manager_addresses":
		list(&c.ManagerAddresses)
	case "manager_names":
		list(&c.ManagerNames)
	case "manager_certificate_common_names":
		list(&c.ManagerCertificateCommonNames)
	case "discovery":
		list(&c.Discovery)
		for _, m := range c.Discovery {
			if m != MethodDHCP && m != MethodBroadcast && m != MethodLayer2 {
				return fmt.Errorf("discovery: unknown method %q (dhcp, broadcast, layer2)", m)
			}
		}
	case "certificate":
		if value != CertificateNone && value != CertificateRequest && value != CertificateSCEP {
			return fmt.Errorf("certificate: %q: want none, request or scep", value)
		}
		c.Certificate = value
	case "scep_url":
		u, err := url.Parse(value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("scep_url: %q is not an http(s) URL", value)
		}
		c.ScepURL = value
	case "enrollment_password":
		c.EnrollmentPassword = value
	case "manager_ca_fingerprint":
		fp, err := pki.ParseFingerprint(value)
		if err != nil {
			return fmt.Errorf("manager_ca_fingerprint: %w", err)
		}
		c.ManagerCAFingerprint = fp
	case "bridge":
		c.Bridge = value
	case "identity":
		if len(value) == 0 || len(value) > 512 {
			return fmt.Errorf("identity: 1 to 512 bytes")
		}
		c.Identity = value
	case "location":
		c.Location = value
	case "base_mac":
		mac, err := net.ParseMAC(value)
		if err != nil || len(mac) != 6 {
			return fmt.Errorf("base_mac: %q is not a MAC address", value)
		}
		c.BaseMAC = mac
	case "manager_timeout":
		d, err := parseSeconds(value)
		if err != nil || d < 500*time.Millisecond || d > time.Hour {
			return fmt.Errorf("manager_timeout: %q: a duration from 0.5s to 1h", value)
		}
		c.ManagerTimeout = d
	case "state_dir":
		c.StateDir = value
	case "run_dir":
		c.RunDir = value
	case "package_manager":
		if !slices.Contains([]string{"auto", "opkg", "apk", "none"}, value) {
			return fmt.Errorf("package_manager: %q: want auto, opkg, apk or none", value)
		}
		c.PackageManager = value
	case "package_arch":
		c.PackageArch = value
	case "log_level":
		if !slices.Contains([]string{"debug", "info", "warn", "error"}, value) {
			return fmt.Errorf("log_level: %q: want debug, info, warn or error", value)
		}
		c.LogLevel = value
	default:
		return fmt.Errorf("unknown option %q", key)
	}
	return nil
}

// parseSeconds accepts a Go duration or a plain number of seconds.
func parseSeconds(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(v)
}

// finish fills what the settings left open and checks the whole.
func (c *Config) finish() error {
	if c.Identity == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "cap"
		}
		c.Identity = h
	}
	if len(c.ManagerAddresses) == 0 && len(c.DiscoveryInterfaces) == 0 {
		return errors.New("no way to find a manager: set manager_addresses or discovery_interfaces")
	}
	if c.StationInterval <= 0 {
		c.StationInterval = DefaultStationInterval
	}
	if c.ManagerTimeout == 0 {
		c.ManagerTimeout = DefaultManagerTimeout
	}
	if c.Certificate == "" {
		c.Certificate = CertificateNone
	}
	if c.Certificate == CertificateSCEP && c.ScepURL == "" {
		return errors.New("certificate=scep needs scep_url")
	}
	if c.Certificate == CertificateSCEP && c.SCEP == nil {
		helper, err := scepenroll.Find()
		if err != nil {
			return fmt.Errorf("certificate=scep: %w", err)
		}
		c.SCEP = scepenroll.Exec(helper)
	}
	if c.HAL == nil {
		return errors.New("no radio HAL")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.PackageManager = detectPackageManager(c.PackageManager)
	if c.PackageArch == "" {
		c.PackageArch = packageArch("/etc/openwrt_release")
	}
	return nil
}
