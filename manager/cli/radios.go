package cli

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/capstan-wifi/capstan/manager/api"
	"github.com/capstan-wifi/capstan/manager/controlplane"
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
	// Clients of manager-forwarded interfaces add their VLAN and their
	// frames through the manager.
	fwd := slices.ContainsFunc(rows, func(r controlplane.Registration) bool { return r.Forwarded != nil })
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	head := " #\tINTERFACE\tMAC\tSSID\tSIGNAL\tTX-RATE\tRX-RATE\tTX-BYTES\tRX-BYTES\tUPTIME"
	if fwd {
		head += "\tVLAN\tFWD-RX-BYTES\tFWD-TX-BYTES\tFWD-DROPS"
	}
	fmt.Fprintln(tw, head)
	for i, r := range rows {
		fmt.Fprintf(tw, "%2d\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%s", i, Printable(r.Interface), r.MAC, Printable(r.SSID), r.Signal,
			rate(r.TxRateKbps), rate(r.RxRateKbps), r.TxBytes, r.RxBytes, r.Uptime)
		switch {
		case r.Forwarded != nil:
			fmt.Fprintf(tw, "\t%s\t%d\t%d\t%d", orDash(vlanText(r.VLANID)), r.Forwarded.RxBytes, r.Forwarded.TxBytes, r.Forwarded.Drops)
		case fwd:
			fmt.Fprint(tw, "\t-\t-\t-\t-")
		}
		fmt.Fprintln(tw)
	}
	return boolExit(tw.Flush() == nil)
}

func vlanText(id int) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprint(id)
}

func rate(kbps uint32) string {
	return fmt.Sprintf("%.1fMbps", float64(kbps)/1000)
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
