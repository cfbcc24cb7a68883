package agent

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUdhcpcHook runs the OpenWrt hook as udhcpc would and reads what it
// left, as discovery does.
func TestUdhcpcHook(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the hook")
	}
	hook, _ := filepath.Abs("../packaging/openwrt/agent/etc/udhcpc.user.d/capstan")
	run := t.TempDir()
	event := func(ev, opt string) {
		t.Helper()
		cmd := exec.Command(sh, hook, ev)
		cmd.Env = append(os.Environ(), "CAPSTAN_RUN_DIR="+run, "interface=br-lan", "opt138="+opt)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("hook %s: %v\n%s", ev, err, out)
		}
	}
	event("bound", "c0000201c0000202")
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}
	if diff := cmp.Diff(want, udhcpcManagers(run, "br-lan"), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("after bound (-want +got):\n%s", diff)
	}
	event("renew", "")
	if got := udhcpcManagers(run, "br-lan"); len(got) != 0 {
		t.Errorf("after a renew without option 138: %v", got)
	}
	event("bound", "c0000203")
	event("deconfig", "")
	if got := udhcpcManagers(run, "br-lan"); len(got) != 0 {
		t.Errorf("after deconfig: %v", got)
	}
}
