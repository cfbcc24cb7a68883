package controlplane

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the control plane's Prometheus instruments; each Server has
// its own, registered by whoever serves them (Server.Collectors).
type metrics struct {
	joins       prometheus.Counter
	pushes      prometheus.Counter
	rejects     prometheus.Counter
	upgrades    prometheus.Counter
	handshake   prometheus.Histogram
	join        prometheus.Histogram
	dataPackets *prometheus.CounterVec // by direction and kind
	// limited counts what the flood bounds refused, by what.
	limited *prometheus.CounterVec
}

var latencyBuckets = []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics() metrics {
	return metrics{
		joins: prometheus.NewCounter(prometheus.CounterOpts{Name: "capstan_joins_total",
			Help: "CAPs that completed Join."}),
		pushes: prometheus.NewCounter(prometheus.CounterOpts{Name: "capstan_config_pushes_total",
			Help: "Configuration pushes (WLAN Configuration Requests, one per CAP for all its changed radios) answered by CAPs."}),
		rejects: prometheus.NewCounter(prometheus.CounterOpts{Name: "capstan_access_rejects_total",
			Help: "Clients refused by the access list."}),
		upgrades: prometheus.NewCounter(prometheus.CounterOpts{Name: "capstan_upgrades_delivered_total",
			Help: "Agent packages delivered to CAPs by CAPWAP Image Data."}),
		handshake: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "capstan_dtls_handshake_seconds",
			Help: "DTLS handshake duration of CAP sessions.", Buckets: latencyBuckets}),
		join: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "capstan_join_seconds",
			Help: "From the first handshake packet to the Join Response.", Buckets: latencyBuckets}),
		dataPackets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "capstan_data_packets_total",
			Help: "CAPWAP data channel packets, by direction (rx, tx) and kind (keepalive, dropped)."},
			[]string{"direction", "kind"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "capstan_limited_total",
			Help: "Inputs refused by a bound: stations over the per-CAP or per-WLAN limit, control requests over a session's rate, discovery requests over a source's rate."},
			[]string{"what"}),
	}
}

// Collectors are the control plane's metrics: the counters and histograms
// above and, computed at each scrape, CAPs by state and wireless clients.
func (s *Server) Collectors() []prometheus.Collector {
	m := s.metrics
	return []prometheus.Collector{m.joins, m.pushes, m.rejects, m.upgrades, m.handshake, m.join, m.dataPackets, m.limited, stateCollector{s}}
}

var (
	capsDesc    = prometheus.NewDesc("capstan_caps", "CAPs with a session, by state.", []string{"state"}, nil)
	clientsDesc = prometheus.NewDesc("capstan_clients", "Wireless clients in the registration table.", nil, nil)
	ifacesDesc  = prometheus.NewDesc("capstan_interfaces", "Provisioned interfaces of running CAPs, by kind.", []string{"kind"}, nil)
	// Per manager-forwarded interface (per client would be a series per
	// client: the registration table has those).
	fwdPacketsDesc = prometheus.NewDesc("capstan_interface_forwarded_packets_total",
		"Frames of a manager-forwarded interface through its TAP: rx from its clients, tx to them.", []string{"interface", "direction"}, nil)
	fwdBytesDesc = prometheus.NewDesc("capstan_interface_forwarded_bytes_total",
		"Bytes of a manager-forwarded interface's frames through its TAP (802.3 frames, tags included).", []string{"interface", "direction"}, nil)
	fwdDropsDesc = prometheus.NewDesc("capstan_interface_forwarded_drops_total",
		"Frames of a manager-forwarded interface dropped on the manager: no client of that VLAN, no CAP serving it, a TAP write that failed.", []string{"interface"}, nil)
)

type stateCollector struct{ s *Server }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- capsDesc
	ch <- clientsDesc
	ch <- ifacesDesc
	ch <- fwdPacketsDesc
	ch <- fwdBytesDesc
	ch <- fwdDropsDesc
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	states := map[string]int{"join": 0, "configure": 0, "data-check": 0, "run": 0}
	for _, rc := range c.s.RemoteCaps() {
		states[rc.State]++
	}
	for st, n := range states {
		ch <- prometheus.MustNewConstMetric(capsDesc, prometheus.GaugeValue, float64(n), st)
	}
	ch <- prometheus.MustNewConstMetric(clientsDesc, prometheus.GaugeValue, float64(len(c.s.RegistrationTable())))
	kinds := map[string]int{"static": 0, "dynamic": 0}
	for _, it := range c.s.Interfaces() {
		if it.Static {
			kinds["static"]++
		} else {
			kinds["dynamic"]++
		}
	}
	for k, n := range kinds {
		ch <- prometheus.MustNewConstMetric(ifacesDesc, prometheus.GaugeValue, float64(n), k)
	}
	if c.s.cfg.Plane == nil {
		return
	}
	// Every TAP, bound or not: counters must not vanish while a static
	// interface waits for its CAP.
	for name, fc := range c.s.cfg.Plane.Counters() {
		ch <- prometheus.MustNewConstMetric(fwdPacketsDesc, prometheus.CounterValue, float64(fc.RxPackets), name, "rx")
		ch <- prometheus.MustNewConstMetric(fwdPacketsDesc, prometheus.CounterValue, float64(fc.TxPackets), name, "tx")
		ch <- prometheus.MustNewConstMetric(fwdBytesDesc, prometheus.CounterValue, float64(fc.RxBytes), name, "rx")
		ch <- prometheus.MustNewConstMetric(fwdBytesDesc, prometheus.CounterValue, float64(fc.TxBytes), name, "tx")
		ch <- prometheus.MustNewConstMetric(fwdDropsDesc, prometheus.CounterValue, float64(fc.Drops), name)
	}
}
