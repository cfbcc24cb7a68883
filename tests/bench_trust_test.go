package tests

import (
	"fmt"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/pki"
)

// BenchmarkEnrollmentJoin measures what a certificate request adds to a
// CAP's first join: agent start → run with certificate=none, with
// certificate=request on a fresh AP (key generation, CSR, issue, second
// handshake), and with the stored certificate on the next start, all
// against one manager with require-peer-certificate off.
func BenchmarkEnrollmentJoin(b *testing.B) {
	const samples = 15
	m := startPKIManager(b, "02AA000000B1", pki.PolicyAuto, false, 0)
	timeJoin := func(i int, set func(*agent.Config)) time.Duration {
		start := time.Now()
		a, stop := startAgent(b, i, func(c *agent.Config) {
			c.ManagerAddresses = []string{m.addr}
			set(c)
		})
		defer stop()
		for a.Status().State != "run" {
			if time.Since(start) > 15*time.Second {
				b.Fatal("no run after 15s")
			}
			time.Sleep(200 * time.Microsecond)
		}
		return time.Since(start)
	}
	var none, first, again []time.Duration
	for i := range samples {
		none = append(none, timeJoin(300+i, func(*agent.Config) {}))
		dir := b.TempDir()
		request := func(c *agent.Config) { c.Certificate, c.StateDir = agent.CertificateRequest, dir }
		first = append(first, timeJoin(400+i, request))
		again = append(again, timeJoin(400+i, request))
	}
	mn, mf, ma := median(none), median(first), median(again)
	b.ReportMetric(float64((mf-mn).Microseconds())/1000, "ms-added-by-request")
	fmt.Printf("enrollment: agent start → run, medians of %d: no certificate %v; first join with certificate=request %v (+%v: key, CSR, issue, reconnect); next start with the stored certificate %v (+%v)\n",
		samples, mn.Round(10*time.Microsecond), mf.Round(10*time.Microsecond), (mf - mn).Round(10*time.Microsecond),
		ma.Round(10*time.Microsecond), (ma - mn).Round(10*time.Microsecond))
}
