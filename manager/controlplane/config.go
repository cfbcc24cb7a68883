package controlplane

import (
	"crypto/tls"
	"fmt"
	"github.com/capstan-wifi/capstan/internal/buildinfo"
	"github.com/capstan-wifi/capstan/manager/dataplane"
	"log/slog"
	"time"

	"github.com/capstan-wifi/capstan/manager/channel"
	"github.com/capstan-wifi/capstan/manager/model"
)

// Config configures a Server.
type Config struct {
	// Name is the AC Name CAPs see in discovery (CAPsMAN's manager name).
	Name string
	// ListenAddress is the UDP control address, ":5246" by default; the data
	// channel listens on the next port. "" with no L2Interfaces is an error.
	ListenAddress string
	// L2Interfaces are Ethernet interfaces on which to serve CAPs over raw
	// frames (EtherType 0x88B5).
	L2Interfaces []string
	// Certificate is the manager's DTLS identity.
	Certificate tls.Certificate
	// Authority verifies CAP certificates and issues them; nil accepts any
	// CAP certificate unchecked and issues none (tests of other layers).
	Authority Authority
	// RequirePeerCertificate refuses CAPs without a certificate from the
	// Authority, except for an enrollment-only session in which such a
	// CAP can only ask for one.
	RequirePeerCertificate bool
	// EchoInterval is the Echo Request interval told to CAPs (CAPWAP
	// Timers, whole seconds, 1–255).
	EchoInterval time.Duration
	// CAPTimeout: a CAP silent for longer is dropped (RFC 5415's
	// EchoInterval-based dead timer, made short: CAPsMAN takes 10–20 s).
	CAPTimeout time.Duration
	// JoinTimeout bounds each of Join, Configure and Data Check.
	JoinTimeout time.Duration
	// Plane holds the TAPs of manager-forwarded interfaces; nil refuses
	// manager forwarding (the interfaces' CAPs tunnel to nothing).
	Plane *dataplane.Plane
	// Store holds the configuration the CAPs are provisioned from; every
	// change is pushed live. nil is an empty in-memory configuration.
	Store *model.Store
	// Channels are the selections save-selected keeps; nil keeps them in
	// memory.
	Channels *channel.Saved
	// ReselectDelay picks when a radio whose channel profile has a
	// reselect-interval picks its channel again; nil is a random moment in
	// the range. Tests shorten it.
	ReselectDelay func(model.DurationRange) time.Duration
	// Version is the agent version CAPs must run under the upgrade-policy
	// suggest-same-version or require-same-version; default the manager's.
	Version string
	// MaxCAPs is announced in the AC Descriptor and enforced at Join.
	MaxCAPs int
	// Offers remembers upgrade offers; nil keeps them in memory.
	Offers Offers
	// Directory records the CAPs this manager holds for the other managers
	// of the fleet, and lists theirs; nil when the manager is alone.
	Directory Directory
	Logger    *slog.Logger
}

// Defaults.
const (
	DefaultEchoInterval = time.Second
	DefaultCAPTimeout   = 2500 * time.Millisecond
	DefaultJoinTimeout  = 15 * time.Second
	DefaultMaxCAPs      = 20000
)

func (c *Config) setDefaults() error {
	if c.Name == "" {
		c.Name = "capstan"
	}
	if len(c.Name) > 512 {
		return fmt.Errorf("manager name: %d bytes, at most 512", len(c.Name))
	}
	if c.EchoInterval == 0 {
		c.EchoInterval = DefaultEchoInterval
	}
	if c.EchoInterval < time.Second || c.EchoInterval > 255*time.Second || c.EchoInterval%time.Second != 0 {
		return fmt.Errorf("echo interval %v: whole seconds from 1s to 255s (CAPWAP Timers)", c.EchoInterval)
	}
	if c.CAPTimeout == 0 {
		c.CAPTimeout = DefaultCAPTimeout
	}
	if c.CAPTimeout <= c.EchoInterval {
		return fmt.Errorf("cap timeout %v must exceed the echo interval %v", c.CAPTimeout, c.EchoInterval)
	}
	if c.JoinTimeout == 0 {
		c.JoinTimeout = DefaultJoinTimeout
	}
	if c.MaxCAPs == 0 {
		c.MaxCAPs = DefaultMaxCAPs
	}
	if c.MaxCAPs < 1 || c.MaxCAPs > 65535 {
		return fmt.Errorf("max caps %d: from 1 to 65535 (the AC Descriptor's 16 bits)", c.MaxCAPs)
	}
	if c.Store == nil {
		c.Store = model.Memory(nil)
	}
	if c.Offers == nil {
		c.Offers = &memOffers{}
	}
	if c.Channels == nil {
		c.Channels, _ = channel.OpenSaved("")
	}
	if c.Version == "" {
		c.Version = buildinfo.Version
	}
	if c.ReselectDelay == nil {
		c.ReselectDelay = randomIn
	}
	if c.ListenAddress == "" && len(c.L2Interfaces) == 0 {
		return fmt.Errorf("nothing to listen on: no UDP address and no layer-2 interface")
	}
	if len(c.Certificate.Certificate) == 0 {
		return fmt.Errorf("no certificate")
	}
	if c.RequirePeerCertificate && c.Authority == nil {
		return fmt.Errorf("require-peer-certificate needs a certificate authority")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
