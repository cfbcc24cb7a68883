package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/capstan-wifi/capstan/manager/api"
)

// fleet prints the managers that share this manager's fleet store.
func fleet(args []string, stdout, stderr io.Writer) int {
	c, code := parse("fleet", args, map[string][]string{"print": {}}, stdout, stderr)
	if c == nil {
		return code
	}
	var ms []api.FleetMember
	if err := c.call("GET", "/api/v1/fleet", nil, &ms); err != nil {
		return fail(stderr, err)
	}
	if c.json {
		return c.printJSON(ms)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Flags: L - leader")
	fmt.Fprintln(tw, " #\t\tNAME\tCONTROL\tVERSION\tCAPS\tUP")
	for i, m := range ms {
		flag := ""
		if m.Leader {
			flag = "L"
		}
		fmt.Fprintf(tw, "%2d\t%s\t%s\t%s\t%s\t%d\t%s\n", i, flag, Printable(m.Name), Printable(m.Control), Printable(m.Version), m.CAPs,
			time.Since(m.Since).Round(time.Second))
	}
	return boolExit(tw.Flush() == nil)
}
