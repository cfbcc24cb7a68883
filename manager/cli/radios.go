package cli

import (
	"fmt"
	"io"
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
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, " #\tINTERFACE\tMAC\tSSID\tSIGNAL\tTX-RATE\tRX-RATE\tTX-BYTES\tRX-BYTES\tUPTIME")
	for i, r := range rows {
		fmt.Fprintf(tw, "%2d\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%s\n", i, Printable(r.Interface), r.MAC, Printable(r.SSID), r.Signal,
			rate(r.TxRateKbps), rate(r.RxRateKbps), r.TxBytes, r.RxBytes, r.Uptime)
	}
	return boolExit(tw.Flush() == nil)
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
