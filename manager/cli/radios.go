package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/manager/controlplane"
	"github.com/capstan-wifi/capstan/manager/provision"
)

func registrationTable(args []string, stdout, stderr io.Writer) int {
	c, code := parse("registration-table", args, map[string][]string{"print": {}, "remove": {}}, stdout, stderr)
	if c == nil {
		return code
	}
	if c.verb == "remove" {
		if c.ref == "" {
			fmt.Fprintln(stderr, "usage: capstan-manager registration-table remove <MAC>")
			return 2
		}
		var out map[string]string
		if err := c.call("POST", "/api/v1/registration-table/remove", api.RemoveStationRequest{MAC: c.ref}, &out); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "removed %s\n", out["removed"])
		return 0
	}
	var rows []controlplane.Registration
	if err := c.call("GET", "/api/v1/registration-table", nil, &rows); err != nil {
		return fail(stderr, err)
	}
	if c.json {
		return c.printJSON(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, " #\tINTERFACE\tMAC\tSSID\tSIGNAL\tTX-RATE\tRX-RATE\tTX-BYTES\tRX-BYTES\tUPTIME")
	for i, r := range rows {
		fmt.Fprintf(tw, "%2d\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%s\n", i, r.Interface, r.MAC, r.SSID, r.Signal,
			rate(r.TxRateKbps), rate(r.RxRateKbps), r.TxBytes, r.RxBytes, r.Uptime)
	}
	return boolExit(tw.Flush() == nil)
}

func rate(kbps uint32) string {
	return fmt.Sprintf("%.1fMbps", float64(kbps)/1000)
}

func defaultConfiguration(args []string, stdout, stderr io.Writer) int {
	c, code := parse("default-configuration", args, map[string][]string{"print": {}, "set": provision.Keys}, stdout, stderr)
	if c == nil {
		return code
	}
	if c.ref != "" {
		fmt.Fprintf(stderr, "capstan-manager default-configuration %s: unexpected argument %q\n", c.verb, c.ref)
		return 2
	}
	var d provision.Defaults
	if c.verb == "set" {
		if len(c.params) == 0 {
			fmt.Fprintln(stderr, "usage: capstan-manager default-configuration set key=value ...")
			return 2
		}
		var out api.DefaultsChange
		if err := c.call("POST", "/api/v1/default-configuration", c.params, &out); err != nil {
			return fail(stderr, err)
		}
		if c.json {
			return c.printJSON(out)
		}
		fmt.Fprintf(stdout, "saved; pushed to %d CAPs\n", out.PushedTo)
		return 0
	}
	if err := c.call("GET", "/api/v1/default-configuration", nil, &d); err != nil {
		return fail(stderr, err)
	}
	if c.json {
		return c.printJSON(d)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 1, ' ', 0)
	for _, row := range [][2]string{
		{"ssid", d.SSID}, {"hidden", yesNo(d.Hidden)}, {"security", orDash(d.Security)}, {"passphrase", orDash(d.Passphrase)},
		{"radius-server", orDash(d.RADIUSServer)}, {"radius-secret", orDash(d.RADIUSSecret)}, {"country", orDash(d.Country)},
		{"band", orDash(d.Band)}, {"channel", autoOr(d.Channel)}, {"width", autoOr(d.Width)}, {"tx-power", autoOr(d.TxPower)},
		{"disabled", yesNo(d.Disabled)}, {"max-clients", autoOr(d.MaxClients)},
		{"client-to-client-forwarding", yesNo(d.ClientToClient)}, {"vlan-id", autoOr(d.VLANID)}, {"bridge", orDash(d.Bridge)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return boolExit(tw.Flush() == nil)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func autoOr(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}
