package agent

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-wifi/capstan/capwap/wire"
	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/hal/haltest"
)

// batchHAL records ApplyAll calls, as the OpenWrt backend would turn each
// into one write and one reload.
type batchHAL struct {
	*haltest.HAL
	calls [][]uint8
}

func (b *batchHAL) ApplyAll(ctx context.Context, states []hal.RadioState) (map[uint8]bool, error) {
	var ids []uint8
	out := map[uint8]bool{}
	for _, st := range states {
		ids = append(ids, st.RadioID)
		restarted, err := b.Apply(ctx, st)
		if err != nil {
			return nil, err
		}
		out[st.RadioID] = restarted
	}
	b.calls = append(b.calls, ids)
	return out, nil
}

// TestOneBatchPerMessage: a message that changes both radios is applied
// in one step of a batch-capable HAL, and its restarts are counted.
func TestOneBatchPerMessage(t *testing.T) {
	a, h := newApplyAgent(t)
	b := &batchHAL{HAL: h}
	a.cfg.HAL = b
	ctx := context.Background()
	if err := apply(ctx, a, wlanReq(add(1, 1, "office"), add(2, 1, "office"))); err != nil {
		t.Fatal(err)
	}
	if err := apply(ctx, a, wlanReq(add(1, 1, "office"), add(2, 1, "office"))); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]uint8{{1, 2}, {1, 2}}, b.calls); diff != "" {
		t.Errorf("ApplyAll calls (-want +got):\n%s", diff)
	}
	if a.restarts[1] != 1 || a.restarts[2] != 1 {
		t.Errorf("restarts = %v, want one per radio", a.restarts)
	}
	// A refused state changes nothing and reaches no HAL.
	if err := apply(ctx, a, radioReq(&wire.RadioConfig{RadioID: 1, Band: "2g", Channel: 6, WidthMHz: 80})); err == nil {
		t.Error("80 MHz in 2.4 GHz was accepted")
	}
	if len(b.calls) != 2 {
		t.Errorf("a refused request reached the HAL: %v", b.calls)
	}
}
