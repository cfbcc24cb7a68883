// Package cli is the RouterOS-style admin CLI of capstan-manager:
// `capstan-manager <resource> <verb> [key=value ...] [--json]`, talking to
// the running manager's API found through the state directory.
package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/daemon"
	"github.com/capstan-wifi/capstan/manager/model"
	"github.com/capstan-wifi/capstan/manager/provision"
)

// StateDir returns the state directory: the flag, else $CAPSTAN_STATE_DIR,
// else the default.
func StateDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("CAPSTAN_STATE_DIR"); env != "" {
		return env
	}
	return daemon.DefaultStateDir
}

// Resources lists the resources the CLI knows, for usage text.
var Resources = append([]string{"remote-cap", "registration-table", "certificate", "enrollment", "enrollment-password", "user", "fleet"},
	modelResourceNames()...)

// Run runs one resource command and returns the exit code: 0, 1 for a
// failure, 2 for a usage error.
func Run(resource string, args []string, stdout, stderr io.Writer) int {
	switch resource {
	case "remote-cap":
		return remoteCap(args, stdout, stderr)
	case "registration-table":
		return registrationTable(args, stdout, stderr)
	case "certificate":
		return certificate(args, stdout, stderr)
	case "enrollment":
		return enrollment(args, stdout, stderr)
	case "enrollment-password":
		return enrollmentPassword(args, stdout, stderr)
	case "user":
		return user(args, stdout, stderr)
	case "fleet":
		return fleet(args, stdout, stderr)
	}
	if r, ok := model.Lookup(resource); ok {
		return modelResource(r, args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "capstan-manager: unknown resource %q (known: %v)\n", resource, Resources)
	return 2
}

func remoteCap(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "provision" || args[0] == "reselect-channel") {
		return capAction(args, stdout, stderr)
	}
	const usage = "usage: capstan-manager remote-cap print [where FIELD=VALUE ...] [count-only] [--json] [--offset N] [--limit N] | provision|reselect-channel <identity|common name|base MAC|number> [--state-dir DIR]"
	if len(args) == 0 || args[0] != "print" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("remote-cap print", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON array")
	offset := fs.Int("offset", 0, "skip this many rows")
	limit := fs.Int("limit", api.MaxPage, "print at most this many rows")
	stateDir := fs.String("state-dir", "", "the manager's state directory (default $CAPSTAN_STATE_DIR or "+daemon.DefaultStateDir+")")
	var words []string
	rest := args[1:]
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		words, rest = append(words, fs.Arg(0)), fs.Args()[1:]
	}
	q := url.Values{"offset": {strconv.Itoa(*offset)}, "limit": {strconv.Itoa(*limit)}}
	countOnly := false
	for i, w := range words {
		switch {
		case w == "count-only":
			countOnly = true
		case w == "where" && i+1 < len(words):
		case strings.Contains(w, "=") && i > 0 && slices.Contains(words[:i], "where"):
			k, v, _ := strings.Cut(w, "=")
			q.Set(strings.ReplaceAll(k, "-", "_"), v)
		default:
			fmt.Fprintf(stderr, "capstan-manager remote-cap print: unexpected %q\n%s\n", w, usage)
			return 2
		}
	}
	c, err := api.NewClient(StateDir(*stateDir))
	if err != nil {
		fmt.Fprintln(stderr, "capstan-manager:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if countOnly {
		q.Set("count-only", "true")
		var n api.Count
		if err := c.Get(ctx, "/api/v1/remote-caps?"+q.Encode(), &n); err != nil {
			fmt.Fprintln(stderr, "capstan-manager:", err)
			return 1
		}
		fmt.Fprintln(stdout, n.Count)
		return 0
	}
	var caps []controlplane.RemoteCap
	if err := c.Get(ctx, "/api/v1/remote-caps?"+q.Encode(), &caps); err != nil {
		fmt.Fprintln(stderr, "capstan-manager:", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(caps); err != nil {
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, " #\tIDENTITY\tADDRESS\tSTATE\tCOMMON-NAME\tBOARD\tVERSION\tRADIOS\tCLIENTS\tUPTIME\tCONFIG-ERROR")
	for i, c := range caps {
		// What a CAP sent is printed escaped: a name with a newline or a tab
		// cannot forge lines or columns of the table.
		fmt.Fprintf(tw, "%2d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", *offset+i, Printable(c.Identity), c.Address, c.State,
			Printable(c.CommonName), Printable(c.Board), Printable(c.Version), strconv.Itoa(c.Radios), c.Clients, c.Uptime, orDash(Printable(c.ConfigError)))
	}
	return boolExit(tw.Flush() == nil)
}

// Printable returns s with control characters, invalid UTF-8 and other
// unprintable runes escaped as Go escapes them (\n, \x00, \u202e).
func Printable(s string) string {
	clean := utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) || r == '\t' })
	if clean {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}

func boolExit(ok bool) int {
	if ok {
		return 0
	}
	return 1
}

// capAction runs the provisioning rules again for one CAP (provision) or
// has it scan and select its open channels again (reselect-channel), and
// prints the interfaces it has afterwards.
func capAction(args []string, stdout, stderr io.Writer) int {
	verb := args[0]
	c, code := parse("remote-cap", args, map[string][]string{verb: {}}, stdout, stderr)
	if c == nil {
		return code
	}
	if c.ref == "" {
		fmt.Fprintf(stderr, "usage: capstan-manager remote-cap %s <identity|common name|base MAC|number>\n", verb)
		return 2
	}
	var ifs []provision.Interface
	if err := c.call("POST", "/api/v1/remote-caps/"+url.PathEscape(c.ref)+"/"+verb, nil, &ifs); err != nil {
		return fail(stderr, err)
	}
	if c.json {
		return c.printJSON(ifs)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INTERFACE\tMASTER\tRADIO-MAC\tCONFIGURATION\tCHANNEL\tSTATIC\tERROR")
	for _, it := range ifs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Name, orDash(it.Master), it.RadioMAC, it.Configuration,
			channelText(it), yesNo(it.Static), orDash(it.Error))
	}
	return boolExit(tw.Flush() == nil)
}

// channelText is the frequency the manager selected for a master, "-"
// when the profile fixes it or the interface is a slave.
func channelText(it provision.Interface) string {
	if it.ChannelMHz == 0 {
		return "-"
	}
	return strconv.Itoa(it.ChannelMHz)
}
