// Command capstan-manager is the capstan manager: `serve` runs the control
// plane and the API; every other command is the RouterOS-style admin CLI.
//
// The main stays thin: it parses the command line and hands over to the
// library packages; see the README for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"

	"github.com/capstan-wifi/capstan/internal/buildinfo"
	"github.com/capstan-wifi/capstan/internal/logging"
	"github.com/capstan-wifi/capstan/manager/cli"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/daemon"
	"github.com/capstan-wifi/capstan/pki"
)

const program = "capstan-manager"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `usage: %s [--version] <command> [arguments]

commands:
  serve --state-dir DIR [flags]   run the manager (see serve --help)
  remote-cap print [--json]       list connected CAPs
  registration-table print|remove <MAC>   wireless clients of every CAP
  remote-cap provision <ref>      run the provisioning rules again for one CAP
  configuration|channel|datapath|security|rates|interface|provisioning|access-list
      print|add|set|remove|enable|disable|move [ref] [key=value ...] [--json]
  manager print|set key=value ... the manager's own settings (upgrade policy)
  certificate print|export|import|revoke   the PKI (PEM and PKCS#12)
  enrollment print|approve|reject|remove   CAPs waiting for adoption (approve all; preapprove|unpreapprove MAC-or-pattern)
  enrollment-password add|print            one-time enrollment passwords
  version                         print the version
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
	switch cmd := fs.Arg(0); {
	case cmd == "serve":
		return serve(fs.Args()[1:], stderr)
	case slices.Contains(cli.Resources, cmd):
		return cli.Run(cmd, fs.Args()[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "%s: unknown command %q (try --help)\n", program, cmd)
		return 2
	}
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, strings.Split(v, ",")...)
	return nil
}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(program+" serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg daemon.Config
	var l2 listFlag
	fs.StringVar(&cfg.StateDir, "state-dir", "", "state directory (default $CAPSTAN_STATE_DIR or "+daemon.DefaultStateDir+")")
	fs.StringVar(&cfg.Name, "name", "", "manager name CAPs see (default: the host name)")
	fs.StringVar(&cfg.ListenAddress, "listen", ":5246", "UDP control address; data uses the next port; empty: no UDP")
	fs.Var(&l2, "l2-interface", "serve CAPs over raw Ethernet on this interface (repeatable)")
	fs.StringVar(&cfg.APIAddress, "api", "127.0.0.1:0", "REST API and web console address (HTTPS beyond loopback)")
	fs.StringVar(&cfg.APICertificate, "api-certificate", "", "imported certificate (with its key) for an API listener beyond loopback; default: one from the manager's CA")
	fs.DurationVar(&cfg.EchoInterval, "echo-interval", controlplane.DefaultEchoInterval, "echo interval told to CAPs (whole seconds)")
	fs.DurationVar(&cfg.CAPTimeout, "cap-timeout", controlplane.DefaultCAPTimeout, "drop a CAP silent for this long")
	fs.IntVar(&cfg.MaxCAPs, "max-caps", controlplane.DefaultMaxCAPs, "most CAPs joined at once (1–65535); more are refused at Join with resource depletion")
	fs.StringVar(&cfg.SSID, "ssid", "", "quick start: configuration \"default\" with this SSID and a provisioning rule giving it to every radio (saved)")
	fs.StringVar(&cfg.Certificate, "certificate", pki.Auto, "manager certificate: auto (issued by the CA on first start) or an imported certificate's name")
	fs.StringVar(&cfg.CACertificate, "ca-certificate", pki.Auto, "CA: auto (capstan-CA-<base MAC>, made on first start) or an imported certificate's name")
	keyType := fs.String("key-type", "ecdsa", "key type of generated CA and manager keys: ecdsa (P-256) or rsa (2048)")
	fs.BoolVar(&cfg.RequirePeerCertificate, "require-peer-certificate", true, "give configuration and secrets only to CAPs with a certificate from the CA (the others may only enroll); =false lets uncertified CAPs join by MAC")
	enrollment := fs.String("enrollment", "", "how CAPs without a certificate get one: approval (adoption: pending until approved; the default), otp (one-time password) or auto (any CAP that asks; the default with --ssid)")
	var adopt, trust listFlag
	fs.Var(&adopt, "adopt", "adopt CAPs with this base MAC or pattern (02:00:00:*) without asking (repeatable)")
	fs.Var(&trust, "trust-ca", "accept CAP certificates of this imported CA certificate (no key needed; repeatable)")
	fs.DurationVar(&cfg.CAPCertificateLifetime, "cap-certificate-lifetime", pki.CAPLifetime, "lifetime of certificates issued to CAPs")
	fs.StringVar(&cfg.HTTPAddress, "http", ":5248", "public HTTP listener for /crl and /scep; empty: none")
	fs.StringVar(&cfg.HTTPURL, "http-url", "", "base URL CAPs reach the HTTP listener at (CRL distribution point), e.g. http://192.0.2.1:5248")
	fs.StringVar(&cfg.Store.URL, "store", "", "share configuration, PKI and the CAP directory with other managers in etcd: etcd://host:port[,host:port…][/prefix], etcds:// for TLS; default: the state directory only")
	fs.StringVar(&cfg.Store.KeyFile, "store-key-file", "", "with --store: file with the 64-hex-digit key that seals the fleet CA's key in etcd (the same on every manager; mode 0600)")
	fs.StringVar(&cfg.Store.CAFile, "store-ca", "", "with etcds://: CA certificate (PEM) that verifies the etcd members")
	fs.StringVar(&cfg.Store.CertFile, "store-cert", "", "with etcds://: this manager's client certificate for etcd (PEM)")
	fs.StringVar(&cfg.Store.CertKeyFile, "store-cert-key", "", "with etcds://: the client certificate's key (PEM)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	logTo := fs.String("log-to", logging.ToStderr, "stderr, or syslog (the local syslog socket, logd on OpenWrt: daemon facility, a priority per level)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s serve: unexpected argument %q\n", program, fs.Arg(0))
		return 2
	}
	if cfg.MaxCAPs < 1 || cfg.MaxCAPs > 65535 {
		fmt.Fprintf(stderr, "%s serve: --max-caps %d: from 1 to 65535\n", program, cfg.MaxCAPs)
		return 2
	}
	var err error
	if cfg.KeyType, err = pki.ParseKeyType(*keyType); err != nil {
		fmt.Fprintf(stderr, "%s serve: --key-type: %v\n", program, err)
		return 2
	}
	if *enrollment == "" && cfg.SSID != "" {
		*enrollment = string(pki.PolicyAuto)
		fmt.Fprintf(stderr, "%s serve: quick start (--ssid): --enrollment auto: every CAP that asks is adopted and given the passphrases; use --enrollment approval on a real network\n", program)
	}
	if cfg.Enrollment, err = pki.ParsePolicy(*enrollment); err != nil {
		fmt.Fprintf(stderr, "%s serve: --enrollment: %v\n", program, err)
		return 2
	}
	cfg.PreApproved, cfg.TrustedCAs = adopt, trust
	cfg.StateDir = cli.StateDir(cfg.StateDir)
	cfg.L2Interfaces = l2
	log, err := logging.NewTo(*logTo, stderr, program, *level)
	if err != nil {
		fmt.Fprintf(stderr, "%s serve: %v\n", program, err)
		return 2
	}
	cfg.Logger = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv("CAPSTAN_CPUPROFILE"); path != "" {
		// For benchmarks: a CPU profile of the whole run, written at exit.
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(stderr, "%s serve: CAPSTAN_CPUPROFILE: %v\n", program, err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "%s serve: CAPSTAN_CPUPROFILE: %v\n", program, err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	if err := daemon.Run(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", program, err)
		return 1
	}
	return 0
}
