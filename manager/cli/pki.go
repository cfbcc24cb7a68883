package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/pki"
)

// command is one parsed `<resource> <verb> [ref] [key=value ...] [--json]`.
type command struct {
	verb   string
	ref    string
	params map[string]string
	json   bool
	client *api.Client
	stdout io.Writer
}

// parse reads the verb, an optional positional reference, key=value
// parameters (only those in allowed) and the flags.
func parse(resource string, args []string, verbs map[string][]string, stdout, stderr io.Writer) (*command, int) {
	usage := func() {
		fmt.Fprintf(stderr, "usage: capstan-manager %s <verb> [ref] [key=value ...] [--json] [--state-dir DIR]\nverbs:\n", resource)
		for v, keys := range verbs {
			fmt.Fprintf(stderr, "  %s %v\n", v, keys)
		}
	}
	if len(args) == 0 {
		usage()
		return nil, 2
	}
	allowed, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "capstan-manager %s: unknown verb %q\n", resource, args[0])
		usage()
		return nil, 2
	}
	fs := flag.NewFlagSet(resource+" "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	stateDir := fs.String("state-dir", "", "the manager's state directory")
	c := &command{verb: args[0], params: map[string]string{}, stdout: stdout}
	rest := args[1:]
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return nil, 2
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		arg := rest[0]
		rest = rest[1:]
		k, v, isKV := strings.Cut(arg, "=")
		switch {
		case !isKV && c.ref == "":
			c.ref = arg
		case !isKV:
			fmt.Fprintf(stderr, "capstan-manager %s %s: unexpected argument %q\n", resource, c.verb, arg)
			return nil, 2
		case !slices.Contains(allowed, k):
			fmt.Fprintf(stderr, "capstan-manager %s %s: unknown parameter %q (known: %s)\n", resource, c.verb, k, strings.Join(allowed, ", "))
			return nil, 2
		default:
			c.params[k] = v
		}
	}
	c.json = *asJSON
	cl, err := api.NewClient(StateDir(*stateDir))
	if err != nil {
		fmt.Fprintln(stderr, "capstan-manager:", err)
		return nil, 1
	}
	c.client = cl
	return c, 0
}

func (c *command) call(method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.client.Do(ctx, method, path, in, out)
}

func (c *command) printJSON(v any) int {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return boolExit(enc.Encode(v) == nil)
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "capstan-manager:", err)
	return 1
}

// passphrase reads passphrase= or passphrase-file= (keeps it out of ps).
func (c *command) passphrase() (string, error) { return c.secret("passphrase") }

// secret reads key= or, from a file, key-file= (keeps it out of ps).
func (c *command) secret(key string) (string, error) {
	if f, ok := c.params[key+"-file"]; ok {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return c.params[key], nil
}

func certificate(args []string, stdout, stderr io.Writer) int {
	c, code := parse("certificate", args, map[string][]string{
		"print":  {},
		"export": {"format", "passphrase", "passphrase-file", "private-key", "file"},
		"import": {"name", "file", "passphrase", "passphrase-file"},
		"revoke": {},
	}, stdout, stderr)
	if c == nil {
		return code
	}
	switch c.verb {
	case "print":
		var certs []pki.CertInfo
		if err := c.call("GET", "/api/v1/certificates", nil, &certs); err != nil {
			return fail(stderr, err)
		}
		if c.json {
			return c.printJSON(certs)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, " #\tNAME\tKIND\tCOMMON-NAME\tISSUER\tSERIAL\tNOT-AFTER\tSTATUS\tKEY\tDETAIL")
		for i, x := range certs {
			key := ""
			if x.PrivateKey {
				key = "yes"
			}
			fmt.Fprintf(tw, "%2d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i, x.Name, x.Kind, x.CommonName, x.Issuer,
				x.Serial, x.NotAfter.UTC().Format(time.RFC3339), x.Status, key, x.Detail)
		}
		return boolExit(tw.Flush() == nil)
	case "export":
		if c.ref == "" || c.params["file"] == "" {
			fmt.Fprintln(stderr, "usage: capstan-manager certificate export <name|serial|common-name> file=PATH [format=pem|pkcs12] [private-key=yes] [passphrase-file=PATH]")
			return 2
		}
		pass, err := c.passphrase()
		if err != nil {
			return fail(stderr, err)
		}
		withKey := c.params["private-key"] == "yes"
		var out struct{ Data []byte }
		if err := c.call("POST", "/api/v1/certificates/export", api.ExportRequest{Ref: c.ref, Format: c.params["format"], Passphrase: pass, PrivateKey: withKey}, &out); err != nil {
			return fail(stderr, err)
		}
		mode := os.FileMode(0o644)
		if withKey {
			mode = 0o600
		}
		if err := pki.WriteFileAtomic(c.params["file"], out.Data, mode); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "exported %s to %s\n", c.ref, c.params["file"])
		return 0
	case "import":
		if c.params["name"] == "" || c.params["file"] == "" {
			fmt.Fprintln(stderr, "usage: capstan-manager certificate import name=NAME file=PATH [passphrase-file=PATH]")
			return 2
		}
		data, err := os.ReadFile(c.params["file"])
		if err != nil {
			return fail(stderr, err)
		}
		pass, err := c.passphrase()
		if err != nil {
			return fail(stderr, err)
		}
		var info pki.CertInfo
		if err := c.call("POST", "/api/v1/certificates/import", api.ImportRequest{Name: c.params["name"], Data: data, Passphrase: pass}, &info); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "imported %s: %s issued by %s, private key: %v\n", info.Name, info.CommonName, info.Issuer, info.PrivateKey)
		return 0
	default: // revoke
		if c.ref == "" {
			fmt.Fprintln(stderr, "usage: capstan-manager certificate revoke <serial|common-name>")
			return 2
		}
		var res api.RevokeResult
		if err := c.call("POST", "/api/v1/certificates/revoke", map[string]string{"ref": c.ref}, &res); err != nil {
			return fail(stderr, err)
		}
		if c.json {
			return c.printJSON(res)
		}
		fmt.Fprintf(stdout, "revoked %s; disconnected %d CAP(s)\n", strings.Join(res.Revoked, ", "), res.Disconnected)
		return 0
	}
}

func enrollment(args []string, stdout, stderr io.Writer) int {
	c, code := parse("enrollment", args, map[string][]string{"print": {}, "approve": {}, "reject": {}, "remove": {},
		"preapprove": {}, "unpreapprove": {}}, stdout, stderr)
	if c == nil {
		return code
	}
	switch {
	case c.verb == "print":
		return enrollmentPrint(c, stdout, stderr)
	case c.ref == "":
		fmt.Fprintf(stderr, "usage: capstan-manager enrollment approve|reject|remove <id>, enrollment approve all, enrollment preapprove|unpreapprove <MAC or pattern>\n")
		return 2
	case c.verb == "preapprove" || c.verb == "unpreapprove":
		var list []string
		in := map[string]any{"pattern": c.ref, "remove": c.verb == "unpreapprove"}
		if err := c.call("POST", "/api/v1/enrollment-preapproved", in, &list); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "adopted without asking: %s\n", strings.Join(list, " "))
		return 0
	case c.verb == "approve" && c.ref == "all":
		var qs []api.RequestInfo
		if err := c.call("POST", "/api/v1/enrollment-requests/approve-all", struct{}{}, &qs); err != nil {
			return fail(stderr, err)
		}
		for _, q := range qs {
			fmt.Fprintf(stdout, "approve %s (%s)\n", q.ID, q.CommonName)
		}
		fmt.Fprintf(stdout, "approved %d pending request(s)\n", len(qs))
		return 0
	}
	var q api.RequestInfo
	if err := c.call("POST", "/api/v1/enrollment-requests/"+c.ref+"/"+c.verb, struct{}{}, &q); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "%s %s (%s)\n", c.verb, q.ID, q.CommonName)
	if q.Replaces != "" {
		fmt.Fprintf(stdout, "replaces %s\n", q.Replaces)
	}
	return 0
}

func enrollmentPrint(c *command, stdout, stderr io.Writer) int {
	var reqs []api.RequestInfo
	if err := c.call("GET", "/api/v1/enrollment-requests", nil, &reqs); err != nil {
		return fail(stderr, err)
	}
	if c.json {
		return c.printJSON(reqs)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, " #\tID\tCOMMON-NAME\tADDRESS\tVIA\tSTATE\tREQUESTED\tNOTE")
	for i, q := range reqs {
		note := ""
		if q.Replaces != "" {
			note = "replaces " + q.Replaces
		}
		fmt.Fprintf(tw, "%2d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i, q.ID, q.CommonName, q.Address, q.Via, q.State,
			q.RequestedAt.UTC().Format(time.RFC3339), note)
	}
	return boolExit(tw.Flush() == nil)
}

func enrollmentPassword(args []string, stdout, stderr io.Writer) int {
	c, code := parse("enrollment-password", args, map[string][]string{"print": {}, "add": {"valid", "comment"}}, stdout, stderr)
	if c == nil {
		return code
	}
	if c.verb == "add" {
		in := api.PasswordRequest{Valid: "24h", Comment: c.params["comment"]}
		if v := c.params["valid"]; v != "" {
			in.Valid = v
		}
		var p api.NewPassword
		if err := c.call("POST", "/api/v1/enrollment-passwords", in, &p); err != nil {
			return fail(stderr, err)
		}
		if c.json {
			return c.printJSON(p)
		}
		fmt.Fprintf(stdout, "%s\n(one-time password %s, valid until %s; shown only now)\n", p.Password, p.ID, p.Expires.UTC().Format(time.RFC3339))
		return 0
	}
	var ps []api.PasswordInfo
	if err := c.call("GET", "/api/v1/enrollment-passwords", nil, &ps); err != nil {
		return fail(stderr, err)
	}
	if c.json {
		return c.printJSON(ps)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, " #\tID\tEXPIRES\tUSED-BY\tCOMMENT")
	for i, p := range ps {
		fmt.Fprintf(tw, "%2d\t%s\t%s\t%s\t%s\n", i, p.ID, p.Expires.UTC().Format(time.RFC3339), p.UsedBy, p.Comment)
	}
	return boolExit(tw.Flush() == nil)
}
