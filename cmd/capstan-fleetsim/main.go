// Command capstan-fleetsim runs a fleet of simulated CAPs against a
// manager (see internal/fleetsim) and prints its counts as one JSON line
// per interval, for benchmarks and load tests. It sends traffic only to
// the manager address it is given, from 127.1.0.0 and up: run it on the
// manager's host or in a namespace of its own.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/capstan-wifi/capstan/internal/fleetsim"
)

func main() {
	manager := flag.String("manager", "127.0.0.1:5246", "the manager's control address; several, comma-separated, are one fleet's managers (CAPs spread over them and fail over)")
	n := flag.Int("caps", 1000, "how many CAPs (one socket each: mind the open-file limit)")
	first := flag.Int("first", 0, "number of the first CAP (several simulators make one fleet)")
	perIP := flag.Int("per-ip", 50, "CAPs per source address (127.1.0.0 and up)")
	spread := flag.Duration("spread", 0, "start the CAPs over this long (0: all at once)")
	every := flag.Duration("every", 250*time.Millisecond, "print the counts this often")
	deadAfter := flag.Duration("dead-after", 2500*time.Millisecond, "give a manager up after this long without a message from it (the agent's manager_timeout)")
	flag.Parse()
	var addrs []*net.UDPAddr
	for _, m := range strings.Split(*manager, ",") {
		addr, err := net.ResolveUDPAddr("udp4", m)
		if err != nil || *n < 1 || *deadAfter <= 0 {
			fmt.Fprintf(os.Stderr, "capstan-fleetsim: --manager %q --caps %d --dead-after %v: %v\n", m, *n, *deadAfter, err)
			os.Exit(2)
		}
		addrs = append(addrs, addr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := fleetsim.Start(ctx, fleetsim.Config{Manager: addrs[0], Managers: addrs, N: *n, First: *first, PerSourceIP: *perIP, Spread: *spread, DeadAfter: *deadAfter})
	enc := json.NewEncoder(os.Stdout)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			f.Wait()
			_ = enc.Encode(f.Stats())
			return
		case <-tick.C:
			if err := enc.Encode(f.Stats()); err != nil {
				return // stdout closed: the benchmark ended
			}
		}
	}
}
