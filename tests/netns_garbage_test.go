package tests

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
)

// TestNetnsGarbage: garbage, truncated, oversized and replayed packets
// from another host to the manager's control and data ports leave the
// established sessions alone, crash nothing, and are logged at most once per
// peer and log site.
func TestNetnsGarbage(t *testing.T) {
	requireNetns(t)
	l := newLab(t)
	mgr := l.node("mgr", "10.80.0.1/24")
	mp, _ := l.manager(mgr, "core", "--listen", ":5246")
	runs, _ := l.threeCAPs(80, "--manager_addresses", "10.80.0.1")
	l.capsOn(t, runs, "core", 30*time.Second)

	attacker := l.node("evil", "10.80.0.66/24")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", attacker, self, "-test.run=^TestHelperAttacker$", "-test.v")
	cmd.Env = append(os.Environ(), "CAPSTAN_ATTACK=10.80.0.1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "attack done") {
		t.Fatalf("attacker: %v\n%s", err, out)
	}
	t.Logf("attacker:\n%s", out)
	time.Sleep(3 * time.Second) // longer than the CAP timeout: a broken session would show

	select {
	case <-mp.done:
		t.Fatal("manager exited during the attack")
	default:
	}
	for i, run := range runs {
		if st := l.status(run); st.State != "run" || st.Joins != 1 {
			t.Errorf("cap%d after the attack: state %s, joins %d; want run, 1", i+1, st.State, st.Joins)
		}
	}
	log, _ := os.ReadFile(filepath.Join(l.dir, "core.log"))
	var lines []string
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, "10.80.0.66") {
			lines = append(lines, line)
		}
	}
	fmt.Printf("garbage: manager logged %d lines about the attacker:\n%s\n", len(lines), strings.Join(lines, "\n"))
	if len(lines) == 0 || len(lines) > 10 {
		t.Errorf("%d log lines about the attacker, want 1 to 10 (once per peer and site):\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

// TestHelperAttacker is the attacker TestNetnsGarbage runs inside its own
// namespace; it does nothing unless CAPSTAN_ATTACK names the manager.
func TestHelperAttacker(t *testing.T) {
	target := os.Getenv("CAPSTAN_ATTACK")
	if target == "" {
		t.Skip("helper process for TestNetnsGarbage")
	}
	ctrl := &net.UDPAddr{IP: net.ParseIP(target), Port: transport.ControlPort}
	data := &net.UDPAddr{IP: net.ParseIP(target), Port: transport.DataPort}
	c, err := transport.ListenUDP(context.Background(), ":0")
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	send := func(b []byte, to *net.UDPAddr) {
		if _, err := c.WriteTo(b, to); err == nil {
			sent++
		}
	}
	// Garbage of every length up to a frame, to both ports.
	for n := 0; n < 1500; n += 7 {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		send(b, ctrl)
		send(b, data)
	}
	// Every truncation of a valid Discovery Request and keep-alive.
	disc, _ := (&wire.ControlMessage{Type: wire.DiscoveryRequest, Elements: []wire.Element{
		&wire.DiscoveryType{}, &wire.WTPBoardData{Vendor: wire.EnterpriseNumber, Items: []wire.BoardDataItem{{Type: wire.BoardBaseMAC, Value: []byte{2, 0, 0, 0, 0, 1}}}},
		&wire.WTPDescriptor{Encryption: []wire.EncryptionCapability{{WBID: 1}}}, &wire.WTPFrameTunnelMode{}, &wire.WTPMACType{},
	}}).AppendBinary(nil)
	ka, _ := (&wire.KeepAlive{SessionID: wire.SessionID{1, 2, 3}}).AppendBinary(nil)
	for n := range len(disc) {
		send(disc[:n], ctrl)
	}
	for n := range len(ka) {
		send(ka[:n], data)
	}
	send(ka, data) // a keep-alive for a session that does not exist
	// Oversized: 60,000-byte datagrams that start like CAPWAP and like DTLS.
	big := make([]byte, 60000)
	copy(big, disc)
	send(big, ctrl)
	send(big, data)
	big[0] = 1
	send(big, ctrl)
	// Replayed: a real DTLS handshake, recorded and sent again three times.
	rec := &recordingConn{PacketConn: c}
	mux := transport.NewMux(rec, transport.MuxConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, mux.Dial(ctrl), transport.ClientConfig{VerifyPeer: func([][]byte) error { return nil }})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	_, _ = conn.Write([]byte{0, 0x10, 0, 0}) // a truncated CAPWAP packet inside DTLS
	time.Sleep(100 * time.Millisecond)
	for range 3 {
		for _, b := range rec.copy() {
			send(b, ctrl)
		}
	}
	fmt.Printf("attack done: %d datagrams sent\n", sent)
}

type recordingConn struct {
	net.PacketConn
	mu   sync.Mutex
	sent [][]byte
}

func (r *recordingConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	r.mu.Lock()
	r.sent = append(r.sent, append([]byte(nil), b...))
	r.mu.Unlock()
	return r.PacketConn.WriteTo(b, addr)
}

func (r *recordingConn) copy() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.sent...)
}
