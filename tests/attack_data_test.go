package tests

import (
	"context"
	"encoding/hex"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/capstan-wifi/capstan/capwap/transport"
	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/pki"
)

// TestAttackDTLSDataChannel: with manager data-channel=dtls, a CAP's data
// channel is bound to its control session's certificate.
//   - A clear keep-alive carrying the victim's session ID (what a host on
//     the LAN that forges the victim's address would send) opens nothing:
//     no echo, and the manager says why.
//   - Another enrolled CAP's certificate on a DTLS data association with
//     the victim's session ID is refused and the association closed.
//   - The victim's own data channel, over DTLS, keeps its session in Run.
func TestAttackDTLSDataChannel(t *testing.T) {
	home := startPKIManager(t, "02AA000000D1", pki.PolicyAuto, true, 0)
	configure(t, home.srv, "manager set data-channel=dtls")
	victim, _ := requestingAgent(t, 1, home.addr, t.TempDir(), nil)
	waitFor(t, 15*time.Second, "the victim CAP in run", inRun(victim))
	if st := victim.Status(); st.DataChannel != "dtls" {
		t.Fatalf("victim's data channel %q, want dtls", st.DataChannel)
	}
	raw, err := hex.DecodeString(victim.Status().SessionID)
	if err != nil || len(raw) != 16 {
		t.Fatalf("victim's session ID %q", victim.Status().SessionID)
	}
	var id wire.SessionID
	copy(id[:], raw)
	ka, err := (&wire.KeepAlive{SessionID: id}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(home.addr)
	dataAddr := &net.UDPAddr{IP: net.ParseIP(host), Port: atoi(port) + 1}

	// Clear, with the victim's session ID.
	clear := mustUDP(t)
	if _, err := clear.WriteTo(ka, dataAddr); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the manager to drop the clear keep-alive", func() bool {
		return strings.Contains(home.log.String(), "dropped clear keep-alive of a DTLS data session")
	})
	_ = clear.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _, err := clear.ReadFrom(make([]byte, 2048)); err == nil {
		t.Errorf("the manager answered a clear keep-alive of a DTLS data session (%d bytes)", n)
	}

	// DTLS, with another enrolled CAP's certificate.
	evilDir := t.TempDir()
	e, stopE := requestingAgent(t, 2, home.addr, evilDir, nil)
	waitFor(t, 15*time.Second, "the attacker's CAP enrolled", inRun(e))
	stopE()
	creds, err := pki.LoadCredentials(evilDir, pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	cert := tlsChain(creds.Cert, creds.Key, creds.CA[0])
	mux := transport.NewMux(mustUDP(t), transport.MuxConfig{})
	defer mux.Close()
	peer := mux.Dial(dataAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := transport.Dial(ctx, peer, transport.ClientConfig{Certificate: &cert, VerifyPeer: func([][]byte) error { return nil }})
	if err != nil {
		t.Fatalf("DTLS to the data port: %v", err)
	}
	dc := transport.NewDataConn(c, dataAddr, peer)
	defer dc.Close()
	if _, err := dc.WriteTo(ka, dataAddr); err != nil {
		t.Fatal(err)
	}
	_ = dc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, _, err := dc.ReadFrom(make([]byte, 2048)); err == nil {
		t.Fatalf("the manager echoed a keep-alive for the victim's session on another CAP's association (%d bytes)", n)
	}
	waitFor(t, 10*time.Second, "the manager to refuse the association", func() bool {
		return strings.Contains(home.log.String(), "its certificate is not the control session's")
	})
	t.Logf("manager says: %s", lineWith(home.log.String(), "refused DTLS data channel"))
	if st := victim.Status(); st.State != "run" || st.Joins != 1 {
		t.Errorf("victim %s after %d joins, want still in its first run", st.State, st.Joins)
	}
}
