// Command capstan-agent runs on each OpenWrt access point (the CAP): it finds a manager, joins it over CAPWAP/DTLS and runs the radios as the manager says.
//
// The main stays thin: it parses the command line and hands over to the
// library packages; see the README for the commands.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/hal/hostapd"
	"github.com/capstan-wifi/capstan/hal/nl80211"
	"github.com/capstan-wifi/capstan/hal/openwrt"
	"github.com/capstan-wifi/capstan/hal/sim"
	"github.com/capstan-wifi/capstan/internal/buildinfo"
	"github.com/capstan-wifi/capstan/internal/logging"
	"github.com/capstan-wifi/capstan/pki"
)

const program = "capstan-agent"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `usage: %s [--version] <command> [arguments]

commands:
  run [--config FILE] [--hal auto|hostapd|sim] [--OPTION VALUE ...]   run the agent (see run --help)
  status [--json] [--run-dir DIR]                         print the running agent's state
  unlock [--state-dir DIR]                                forget the manager this CAP locked to
  cap-mode enable|disable|status [--root DIR]             turn this AP into a CAP (backing up its configuration) or back
  version                                                 print the version
`, program)
}

// run executes one invocation and returns the process exit code: 0 on
// success, 1 on failure, 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(program, flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { usage(stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion || fs.Arg(0) == "version" {
		fmt.Fprintln(stdout, buildinfo.String(program))
		return 0
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	switch fs.Arg(0) {
	case "run":
		return runAgent(fs.Args()[1:], stderr)
	case "status":
		return status(fs.Args()[1:], stdout, stderr)
	case "unlock":
		return unlock(fs.Args()[1:], stdout, stderr)
	case "cap-mode":
		return capMode(fs.Args()[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "%s: unknown command %q (try --help)\n", program, fs.Arg(0))
	return 2
}

// optionNames are the UCI options that also exist as flags.
var optionNames = []string{
	"enabled", "interfaces", "discovery_interfaces", "manager_addresses", "manager_names",
	"manager_certificate_common_names", "lock_to_manager", "certificate", "bridge",
	"identity", "base_mac", "discovery", "manager_timeout", "location", "scep_url", "enrollment_password",
	"package_manager", "package_arch", "log_level",
}

func runAgent(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(program+" run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "/etc/config/capstan", "UCI file with a `config agent` section")
	halName := fs.String("hal", "auto", "radio backend: auto, openwrt, hostapd or sim")
	simRadios := fs.Int("sim-radios", 2, "radios of --hal sim, and of --radios sim")
	simStations := fs.String("sim-stations", "", "--hal sim: clients (MACs, comma-separated) associated to the first radio's first WLAN")
	uciDir := fs.String("uci-dir", "/etc/config", "where --hal openwrt finds the wireless configuration")
	radioSource := fs.String("radios", "nl80211", "where --hal openwrt learns the radios and stations: nl80211, or sim (simulated radios named sim0, sim1, …, for OpenWrt's userspace on a machine without Wi-Fi)")
	stateDir := fs.String("state-dir", envOr("CAPSTAN_STATE_DIR", agent.DefaultStateDir), "keys, certificates and the lock")
	runDir := fs.String("run-dir", envOr("CAPSTAN_RUN_DIR", agent.DefaultRunDir), "status socket and DHCP hook files")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	logTo := fs.String("log-to", logging.ToStderr, "stderr, or syslog (the local syslog socket, logd on OpenWrt: daemon facility, a priority per level)")
	type kv struct{ k, v string }
	var overrides []kv
	for _, name := range optionNames {
		fs.Func(name, "UCI option "+name+" (lists: repeat or separate by commas)", func(v string) error {
			overrides = append(overrides, kv{name, v})
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg := agent.DefaultConfig()
	explicitConfig := false
	fs.Visit(func(f *flag.Flag) { explicitConfig = explicitConfig || f.Name == "config" })
	if f, err := os.Open(*configPath); err == nil {
		err = cfg.ReadUCI(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "%s: %s: %v\n", program, *configPath, err)
			return 2
		}
	} else if explicitConfig {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 2
	}
	seen := map[string]bool{}
	for _, o := range overrides {
		if err := cfg.Set(o.k, o.v, seen[o.k]); err != nil {
			fmt.Fprintf(stderr, "%s: --%v\n", program, err)
			return 2
		}
		seen[o.k] = true
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "state-dir":
			cfg.StateDir = *stateDir
		case "run-dir":
			cfg.RunDir = *runDir
		}
	})
	if os.Getenv("CAPSTAN_STATE_DIR") != "" && cfg.StateDir == agent.DefaultStateDir {
		cfg.StateDir = *stateDir // the environment, below the file and flags
	}
	if os.Getenv("CAPSTAN_RUN_DIR") != "" && cfg.RunDir == agent.DefaultRunDir {
		cfg.RunDir = *runDir
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "log-level" {
			cfg.LogLevel = *level // the flag over the file
		}
	})
	if cfg.LogLevel == "" {
		cfg.LogLevel = *level
	}
	log, err := logging.NewTo(*logTo, stderr, program, cfg.LogLevel)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 2
	}
	cfg.Logger = log
	switch *halName {
	case "sim":
		base := cfg.BaseMAC
		if base == nil {
			base = net.HardwareAddr{0x02, 0xca, 0x57, 0x00, 0x00, 0x01}
		}
		h, err := sim.New(base, *simRadios)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", program, err)
			return 2
		}
		if *simStations != "" {
			var macs []net.HardwareAddr
			for _, m := range strings.Split(*simStations, ",") {
				mac, err := net.ParseMAC(m)
				if err != nil {
					fmt.Fprintf(stderr, "%s: --sim-stations: %v\n", program, err)
					return 2
				}
				macs = append(macs, mac)
			}
			h.SetStations(macs)
		}
		cfg.HAL = h
	case "auto", "openwrt", "hostapd":
		var obs openwrt.Observer
		if *radioSource == "sim" {
			s, err := sim.New(net.HardwareAddr{0x02, 0xca, 0x57, 0x00, 0x00, 0x01}, *simRadios)
			if err != nil {
				fmt.Fprintf(stderr, "%s: %v\n", program, err)
				return 2
			}
			obs = simObserver{s}
		} else if *radioSource != "nl80211" {
			fmt.Fprintf(stderr, "%s: --radios %q: use nl80211 or sim\n", program, *radioSource)
			return 2
		}
		h, err := realHAL(*halName, cfg, obs, filepath.Join(*uciDir, "wireless"), log)
		if err != nil {
			fmt.Fprintf(stderr, "%s: --hal %s: %v\n", program, *halName, err)
			return 1
		}
		cfg.HAL = h
	default:
		fmt.Fprintf(stderr, "%s: --hal %q: use auto, openwrt, hostapd or sim\n", program, *halName)
		return 2
	}
	a, err := agent.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		if err := a.ServeStatus(ctx, cfg.RunDir); err != nil {
			log.Error("status socket", "err", err)
		}
	}()
	if err := a.Run(ctx); err != nil {
		if errors.Is(err, agent.ErrUpgraded) {
			// procd (respawn) starts the binary the package installed.
			log.Info("upgraded: exiting so that the new version starts")
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 1
	}
	return 0
}

func status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(program+" status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	runDir := fs.String("run-dir", envOr("CAPSTAN_RUN_DIR", agent.DefaultRunDir), "the running agent's run directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := agent.FetchStatus(ctx, *runDir)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 1
	}
	if *asJSON {
		stdout.Write(b)
		return 0
	}
	var st agent.Status
	if err := json.Unmarshal(b, &st); err != nil {
		fmt.Fprintf(stderr, "%s: status: %v\n", program, err)
		return 1
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "state: %s (since %s)\nidentity: %s\nbase-mac: %s\n", st.State, st.Since.Format(time.RFC3339), st.Identity, st.BaseMAC)
	if st.Manager != "" {
		transport := st.Transport
		if st.DataChannel != "" {
			transport += ", data channel " + st.DataChannel
		}
		fmt.Fprintf(&out, "manager: %s at %s (%s, found by %s, common name %s)\n", st.Manager, st.ManagerAddress, transport, st.DiscoveredVia, st.ManagerCN)
	}
	if st.ManagerKey != "" {
		fmt.Fprintf(&out, "manager key sha256: %s\n", st.ManagerKey)
	}
	for _, r := range st.Radios {
		fmt.Fprintf(&out, "radio %d: %s %s ssids %v restarts %d\n", r.ID, r.Name, r.MAC, r.SSIDs, r.Restarts)
	}
	if st.Certificate != nil {
		fmt.Fprintf(&out, "certificate: %s serial %s from %s, valid until %s\n", st.Certificate.CommonName, st.Certificate.Serial, st.Certificate.Issuer, st.Certificate.NotAfter.Format(time.RFC3339))
	}
	if st.LockedTo != "" {
		fmt.Fprintf(&out, "locked to: %s (key sha256 %s, CA sha256 %s)\n", st.LockedTo, orNone(st.LockedKey), orNone(st.LockedCA))
	}
	if st.LastError != "" {
		fmt.Fprintf(&out, "last error: %s\n", st.LastError)
	}
	stdout.Write(out.Bytes())
	return 0
}

func unlock(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(program+" unlock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stateDir := fs.String("state-dir", envOr("CAPSTAN_STATE_DIR", agent.DefaultStateDir), "the agent's state directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	l, ok, err := pki.ClearLock(*stateDir)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "%s: unlock: %v\n", program, err)
		return 1
	case !ok:
		fmt.Fprintln(stdout, "not locked")
	default:
		fmt.Fprintf(stdout, "unlocked from manager %s (locked since %s)\n", l.CommonName, l.LockedAt.Format(time.RFC3339))
	}
	return 0
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// simObserver gives the OpenWrt backend simulated radios with no stations.
type simObserver struct{ *sim.HAL }

func (simObserver) Stations(context.Context, string) ([]hal.Station, error) { return nil, nil }

// realHAL opens a radio backend on real (or mac80211_hwsim) radios: auto is
// openwrt where /etc/openwrt_release exists, else hostapd. obs, when set,
// stands in for nl80211 under the OpenWrt backend.
func realHAL(name string, cfg agent.Config, obs openwrt.Observer, wireless string, log *slog.Logger) (hal.HAL, error) {
	if name == "auto" {
		name = "hostapd"
		if _, err := os.Stat("/etc/openwrt_release"); err == nil {
			name = "openwrt"
		}
	}
	if name == "openwrt" && obs != nil {
		return openwrt.New(openwrt.Config{Observer: obs, Path: wireless, Interfaces: cfg.Interfaces, Bridge: cfg.Bridge, Logger: log})
	}
	if obs != nil {
		return nil, fmt.Errorf("--radios sim is for the openwrt backend")
	}
	nl, err := nl80211.Dial()
	if err != nil {
		return nil, err
	}
	if name == "openwrt" {
		h, err := openwrt.New(openwrt.Config{Observer: nl, Path: wireless, Interfaces: cfg.Interfaces, Bridge: cfg.Bridge, Logger: log})
		if err != nil {
			nl.Close()
			return nil, err
		}
		// Associations from the kernel at once; the agent's station poll
		// catches anything this misses.
		if mon, err := nl80211.Dial(); err == nil {
			if events, err := nl80211.Monitor(context.Background(), mon); err == nil {
				go h.Feed(events)
			} else {
				log.Warn("nl80211 events unavailable; stations are polled", "err", err)
			}
		}
		return h, nil
	}
	h, err := hostapd.New(hostapd.Config{Observer: nl, RunDir: cfg.RunDir, Interfaces: cfg.Interfaces, Logger: log})
	if err != nil {
		nl.Close()
		return nil, err
	}
	return h, nil
}

func orNone(s string) string {
	if s == "" {
		return "none recorded"
	}
	return s
}
