package tests

import (
	"encoding/binary"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/capstan-wifi/capstan/pki"
)

// TestAttackDTLSFastPath plays a host on the LAN that forges the victim
// CAP's address against the DTLS data channel's fast record path (the
// manager's data reader opening records itself). It sniffs one of the
// victim's records and sends, from the victim's address and port:
//   - the record again (a replay),
//   - the record with one bit of its ciphertext flipped,
//   - the record renumbered 1000 ahead (the right shape, a made-up
//     sequence number).
//
// Each is dropped and counted; the made-up number does not move the replay
// window, so the victim's next keep-alive is still taken; the victim stays
// in its first Run.
func TestAttackDTLSFastPath(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it sniffs lo and forges the victim's address with a raw socket")
	}
	home := startPKIManager(t, "02AA000000D2", pki.PolicyAuto, true, 0)
	configure(t, home.srv, "manager set data-channel=dtls")
	reg := prometheus.NewRegistry()
	reg.MustRegister(home.srv.Collectors()...)
	count := func(kind string) float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "capstan_data_packets_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				dir, k := "", ""
				for _, l := range m.GetLabel() {
					switch l.GetName() {
					case "direction":
						dir = l.GetValue()
					case "kind":
						k = l.GetValue()
					}
				}
				if dir == "rx" && k == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}

	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	sniff, err := packet.Listen(lo, packet.Raw, unix.ETH_P_IP, nil)
	if err != nil {
		t.Fatalf("sniffer on lo: %v", err)
	}
	defer sniff.Close()
	victim, _ := requestingAgent(t, 1, home.addr, t.TempDir(), nil)
	waitFor(t, 15*time.Second, "the victim CAP in run", inRun(victim))
	_, port, _ := net.SplitHostPort(home.addr)
	dataPort := atoi(port) + 1

	// The victim's next keep-alive goes through the fast path: a record
	// with the CID content type and a sequence number of 2^32 or more.
	var rec []byte
	var srcPort int
	_ = sniff.SetReadDeadline(time.Now().Add(25 * time.Second))
	buf := make([]byte, 65536)
	for rec == nil {
		n, _, err := sniff.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no fast-path record from the victim seen on lo: %v", err)
		}
		f := buf[:n]
		if len(f) < 14+20+8+4+13 || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14+9] != unix.IPPROTO_UDP {
			continue
		}
		udp := f[14+int(f[14]&0x0f)*4:]
		if int(binary.BigEndian.Uint16(udp[2:])) != dataPort || udp[8]&0x0f != 1 {
			continue
		}
		if r := udp[8+4:]; len(r) > 13 && r[0] == 25 && r[5]|r[6] != 0 {
			rec = append([]byte(nil), udp[8:]...)
			srcPort = int(binary.BigEndian.Uint16(udp[0:]))
		}
	}
	waitFor(t, 5*time.Second, "the sniffed keep-alive taken", func() bool { return count("keepalive") >= 1 })
	dropped, keepalives := count("dropped"), count("keepalive")

	raw, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		t.Fatalf("raw socket: %v", err)
	}
	defer unix.Close(raw)
	forge := func(payload []byte) {
		t.Helper()
		d := make([]byte, 28+len(payload))
		d[0], d[8], d[9] = 0x45, 64, unix.IPPROTO_UDP
		binary.BigEndian.PutUint16(d[2:], uint16(len(d)))
		copy(d[12:], []byte{127, 0, 0, 1, 127, 0, 0, 1})
		binary.BigEndian.PutUint16(d[20:], uint16(srcPort))
		binary.BigEndian.PutUint16(d[22:], uint16(dataPort))
		binary.BigEndian.PutUint16(d[24:], uint16(8+len(payload)))
		copy(d[28:], payload)
		if err := unix.Sendto(raw, d, 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatalf("forged datagram: %v", err)
		}
	}
	forge(rec)
	flipped := append([]byte(nil), rec...)
	flipped[len(flipped)-1] ^= 1
	forge(flipped)
	ahead := append([]byte(nil), rec...)
	seq := uint64(ahead[4+5])<<40 | uint64(ahead[4+6])<<32 | uint64(binary.BigEndian.Uint32(ahead[4+7:]))
	seq += 1000
	ahead[4+5], ahead[4+6] = byte(seq>>40), byte(seq>>32)
	binary.BigEndian.PutUint32(ahead[4+7:], uint32(seq))
	forge(ahead)
	waitFor(t, 10*time.Second, "the three forgeries dropped", func() bool { return count("dropped") >= dropped+3 })
	if got := count("keepalive"); got != keepalives {
		t.Errorf("keep-alives taken went from %v to %v with only forgeries sent", keepalives, got)
	}
	// The victim's next keep-alive, numbered below the made-up one, is
	// still taken.
	waitFor(t, 25*time.Second, "the victim's next keep-alive taken", func() bool { return count("keepalive") > keepalives })
	if st := victim.Status(); st.State != "run" || st.Joins != 1 {
		t.Errorf("victim %s after %d joins, want still in its first run", st.State, st.Joins)
	}
	if strings.Contains(home.log.String(), "panic") {
		t.Error("the manager logged a panic")
	}
}
