package hostapd

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/hal"
)

// Observer is what the backend needs of the kernel; *nl80211.Conn is one.
type Observer interface {
	Radios(ctx context.Context) ([]hal.Radio, error)
	Stations(ctx context.Context, ifname string) ([]hal.Station, error)
	SetTxPowerOf(ctx context.Context, phy string, dBm int) error
}

// Config configures the backend.
type Config struct {
	Observer Observer
	// RunDir holds hostapd-<phy>.conf, the wpa_psk_files and the control
	// sockets (RunDir/hostapd).
	RunDir string
	// Binary is the hostapd program; default "hostapd" from PATH.
	Binary string
	// Interfaces are the radios the agent may use, by phy or interface
	// name; empty means every radio that can run an access point.
	Interfaces []string
	// StartTimeout bounds hostapd's start; default 30 s.
	StartTimeout time.Duration
	Logger       *slog.Logger
}

// HAL runs radios with hostapd. It implements hal.HAL.
type HAL struct {
	cfg     Config
	ctrlDir string
	log     *slog.Logger
	events  chan hal.Event

	mu      sync.Mutex // serializes Apply and the actions
	radios  []hal.Radio
	running map[uint8]*radioRun
}

// radioRun is one radio hostapd runs.
type radioRun struct {
	radio  hal.Radio
	state  hal.RadioState // resolved
	files  Files
	conf   string
	mu     sync.Mutex // guards proc, which the supervisor replaces
	proc   *process
	bss    []bss
	cancel context.CancelFunc // stops the listeners and the supervisor
	done   chan struct{}      // closed when the supervisor has returned
}

// bss is one WLAN of a running radio.
type bss struct {
	iface string
	wlan  hal.WLAN
}

// New returns the backend; nothing runs until Apply.
func New(cfg Config) (*HAL, error) {
	if cfg.Observer == nil {
		return nil, fmt.Errorf("hostapd: no observer")
	}
	if cfg.RunDir == "" {
		return nil, fmt.Errorf("hostapd: no run directory")
	}
	if cfg.Binary == "" {
		cfg.Binary = "hostapd"
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &HAL{cfg: cfg, ctrlDir: filepath.Join(cfg.RunDir, "hostapd"), log: cfg.Logger,
		events: make(chan hal.Event, 256), running: map[uint8]*radioRun{}}
	if err := os.MkdirAll(h.ctrlDir, 0o750); err != nil {
		return nil, fmt.Errorf("hostapd: %w", err)
	}
	return h, nil
}

// Radios lists the radios the agent manages, numbered from 1 in phy order.
// The inventory is read once: radios do not come and go while the AP runs.
func (h *HAL) Radios(ctx context.Context) ([]hal.Radio, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inventory(ctx)
}

func (h *HAL) inventory(ctx context.Context) ([]hal.Radio, error) {
	if h.radios != nil {
		return slices.Clone(h.radios), nil
	}
	all, err := h.cfg.Observer.Radios(ctx)
	if err != nil {
		return nil, err
	}
	var out []hal.Radio
	for _, r := range all {
		if len(h.cfg.Interfaces) > 0 && !slices.Contains(h.cfg.Interfaces, r.Name) && !slices.Contains(h.cfg.Interfaces, r.Interface) {
			continue
		}
		if r.Interface == "" || (len(h.cfg.Interfaces) == 0 && r.MaxAP == 0) {
			continue
		}
		r.ID = uint8(len(out) + 1)
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("hostapd: no usable radio among %d (interfaces %v)", len(all), h.cfg.Interfaces)
	}
	h.radios = out
	return slices.Clone(out), nil
}

// Events implements hal.Stations: events from every hostapd this backend
// runs.
func (h *HAL) Events(ctx context.Context) <-chan hal.Event { return h.events }

// Apply implements hal.Applier.
func (h *HAL) Apply(ctx context.Context, st hal.RadioState) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	radios, err := h.inventory(ctx)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(radios, func(r hal.Radio) bool { return r.ID == st.RadioID })
	if i < 0 {
		return false, &hal.ConfigError{RadioID: st.RadioID, Field: "radio", Reason: "no such radio"}
	}
	r := radios[i]
	resolved, err := hal.Resolve(r, st)
	if err != nil {
		return false, err
	}
	run := h.running[r.ID]
	if !resolved.Active() {
		if run == nil {
			return false, nil
		}
		h.stop(run)
		delete(h.running, r.ID)
		h.log.Info("radio off", "radio", r.Name)
		return true, nil
	}
	files, err := Render(r, resolved, h.ctrlDir, h.cfg.RunDir)
	if err != nil {
		return false, err
	}
	if run != nil && run.alive() && sameFiles(run.files, files) {
		return false, nil
	}
	if run != nil && run.alive() && run.state.OnlyChannelDiffers(resolved) {
		// The clients follow a channel switch announcement; a restart
		// would cost each of them a new association.
		err := h.switchTo(ctx, run, resolved, CSACount)
		if err == nil {
			h.log.Info("radio switched channel", "radio", r.Name, "channel", resolved.Channel, "announced_beacons", CSACount)
			return true, nil
		}
		h.log.Warn("channel switch failed: restarting the radio on the new channel", "radio", r.Name, "err", err)
	}
	if run != nil {
		h.stop(run)
		delete(h.running, r.ID)
	}
	if run == nil || run.state.TxPowerDBm != resolved.TxPowerDBm {
		if err := h.cfg.Observer.SetTxPowerOf(ctx, r.Name, resolved.TxPowerDBm); err != nil && resolved.TxPowerDBm != 0 {
			return false, err
		}
	}
	run, err = h.start(ctx, r, resolved, files)
	if err != nil {
		return false, err
	}
	h.running[r.ID] = run
	return true, nil
}

func sameFiles(a, b Files) bool {
	return bytes.Equal(a.Config, b.Config) && maps.EqualFunc(a.PSK, b.PSK, bytes.Equal)
}

// start writes the files, starts hostapd and waits until it beacons.
func (h *HAL) start(ctx context.Context, r hal.Radio, st hal.RadioState, files Files) (*radioRun, error) {
	conf := filepath.Join(h.cfg.RunDir, "hostapd-"+r.Name+".conf")
	for name, data := range files.PSK {
		if err := writeFileAtomic(filepath.Join(h.cfg.RunDir, name), data); err != nil {
			return nil, err
		}
	}
	if err := writeFileAtomic(conf, files.Config); err != nil {
		return nil, err
	}
	run := &radioRun{radio: r, state: st, files: files, conf: conf, done: make(chan struct{})}
	for i, w := range st.WLANs {
		run.bss = append(run.bss, bss{iface: BSSInterface(r.Interface, i), wlan: w})
	}
	if err := h.launch(ctx, run); err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	run.cancel = cancel
	go h.supervise(lctx, run)
	h.log.Info("radio up", "radio", r.Name, "channel", st.Channel, "band", st.Band, "wlans", len(st.WLANs))
	return run, nil
}

// launch starts hostapd for run and waits for its master BSS to be enabled.
func (h *HAL) launch(ctx context.Context, run *radioRun) error {
	log := h.log.With("radio", run.radio.Name)
	p, err := startProcess(h.cfg.Binary, run.conf, log)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, h.cfg.StartTimeout)
	defer cancel()
	if _, err := p.waitEnabled(wctx, filepath.Join(h.ctrlDir, run.radio.Interface), h.ctrlDir); err != nil {
		p.stop(5 * time.Second)
		return fmt.Errorf("radio %s: %w", run.radio.Name, err)
	}
	run.proc = p
	return nil
}

// stop ends a running radio's hostapd and its goroutines.
func (h *HAL) stop(run *radioRun) {
	run.cancel()
	run.mu.Lock()
	run.proc.stop(5 * time.Second)
	run.mu.Unlock()
	<-run.done
}

func (run *radioRun) alive() bool {
	run.mu.Lock()
	defer run.mu.Unlock()
	return !run.proc.exited()
}

func (run *radioRun) process() *process {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.proc
}

// supervise listens to run's events and restarts hostapd when it dies on
// its own, with a growing pause, until ctx ends.
func (h *HAL) supervise(ctx context.Context, run *radioRun) {
	defer close(run.done)
	backoff := time.Second
	for {
		lctx, stopListeners := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, b := range run.bss {
			wg.Add(1)
			go func() { defer wg.Done(); h.listen(lctx, run, b) }()
		}
		select {
		case <-ctx.Done():
			stopListeners()
			wg.Wait()
			return
		case <-run.process().done:
		}
		stopListeners()
		wg.Wait()
		p := run.process()
		h.log.Warn("hostapd exited; restarting it", "radio", run.radio.Name, "status", p.err,
			"output", p.lastLines(), "in", backoff)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			run.mu.Lock()
			err := ctx.Err()
			if err == nil {
				err = h.launch(ctx, run)
			}
			run.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				break
			}
			h.log.Warn("hostapd restart failed", "radio", run.radio.Name, "err", err, "retry_in", backoff)
		}
	}
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("hostapd: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("hostapd: %w", err)
	}
	return nil
}

// Survey implements hal.Surveyor on the radio's first interface, which
// hostapd brings up when it serves the radio.
func (h *HAL) Survey(ctx context.Context, radioID uint8, scan *hal.Scan) ([]hal.SurveyEntry, error) {
	h.mu.Lock()
	radios, err := h.inventory(ctx)
	h.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return hal.SurveyWith(ctx, h.cfg.Observer, radios, radioID, "", scan)
}
