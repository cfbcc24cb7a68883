package cli

import (
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"

	"github.com/capstan-wifi/capstan/manager/admin"
	"github.com/capstan-wifi/capstan/manager/api"
)

// user manages the web console's administrators:
//
//	user add name=NAME group=full|read password=… | password-file=FILE
//	user set NAME [group=…] [password=… | password-file=FILE]
//	user remove NAME
//	user print
func user(args []string, stdout, stderr io.Writer) int {
	c, code := parse("user", args, map[string][]string{
		"add":    {"name", "group", "password", "password-file"},
		"set":    {"group", "password", "password-file"},
		"remove": {},
		"print":  {},
	}, stdout, stderr)
	if c == nil {
		return code
	}
	password, err := c.secret("password")
	if err != nil {
		return fail(stderr, err)
	}
	switch c.verb {
	case "print":
		var users []admin.User
		if err := c.call("GET", "/api/v1/users", nil, &users); err != nil {
			return fail(stderr, err)
		}
		if c.json {
			return c.printJSON(users)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tNAME\tGROUP\tCREATED")
		for i, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i, u.Name, u.Group, u.Created.Format("2006-01-02 15:04"))
		}
		return boolExit(tw.Flush() == nil)
	case "add":
		in := api.UserChange{Name: c.params["name"], Group: admin.Group(c.params["group"]), Password: password}
		if in.Name == "" {
			in.Name = c.ref
		}
		if in.Name == "" || password == "" {
			fmt.Fprintln(stderr, "usage: capstan-manager user add name=NAME group=full|read password=… (or password-file=FILE)")
			return 2
		}
		var u admin.User
		if err := c.call("POST", "/api/v1/users", in, &u); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "added %s (group %s)\n", u.Name, u.Group)
		return 0
	}
	if c.ref == "" {
		fmt.Fprintf(stderr, "usage: capstan-manager user %s NAME\n", c.verb)
		return 2
	}
	path := "/api/v1/users/" + url.PathEscape(c.ref)
	if c.verb == "remove" {
		if err := c.call("DELETE", path, nil, nil); err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "removed %s\n", c.ref)
		return 0
	}
	var u admin.User
	if err := c.call("PATCH", path, api.UserChange{Group: admin.Group(c.params["group"]), Password: password}, &u); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "%s: group %s; its sessions ended\n", u.Name, u.Group)
	return 0
}
