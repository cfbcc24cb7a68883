package scepenroll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helper writes a shell script standing in for capstan-agent-scep.
func helper(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), HelperName)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

var req = Request{URL: "http://ca/scep", CommonName: "CAP-1", Challenge: "otp", StateDir: "/etc/capstan"}

// The request reaches the helper on its standard input (the challenge is a
// secret: not in its arguments), and its answer comes back.
func TestExecRoundTrip(t *testing.T) {
	dir := t.TempDir()
	h := helper(t, `[ "$1" = enroll ] || exit 9
cat > `+dir+`/got
echo '{"common_name":"CAP-1","serial":"1f","issuer":"CA","cipher":"AES-256-CBC","digest":"SHA-256","renewal":true}'`)
	res, err := Exec(h)(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res != (Result{CommonName: "CAP-1", Serial: "1f", Issuer: "CA", Cipher: "AES-256-CBC", Digest: "SHA-256", Renewal: true}) {
		t.Errorf("result %+v", res)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "got"))
	var got Request
	if err := json.Unmarshal(b, &got); err != nil || got != req {
		t.Errorf("the helper got %s (%v), want %+v", b, err, req)
	}
}

func TestExecFailures(t *testing.T) {
	for name, c := range map[string]struct {
		body, want string
		pending    bool
	}{
		"pending":       {`echo '{"error":"scep: pending","pending":true}'; exit 1`, "pending approval: scep: pending", true},
		"refused":       {`echo '{"error":"scep: request refused: badRequest"}'; exit 1`, "scep: request refused: badRequest", false},
		"crash":         {`echo 'panic: boom' >&2; exit 2`, "exit status 2: panic: boom", false},
		"garbage":       {`echo 'not json'`, "unreadable answer", false},
		"flood":         {`yes '{"error":"x"}' | head -c 200000`, "unreadable answer", false},
		"error, exit 0": {`echo '{"error":"odd"}'`, "odd", false},
	} {
		_, err := Exec(helper(t, c.body))(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrPending) != c.pending {
			t.Errorf("%s: %v, want %q (pending %v)", name, err, c.want, c.pending)
		}
	}
}

// A helper that hangs is killed when the context ends.
func TestExecBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := Exec(helper(t, "exec sleep 60"))(ctx, req)
	if err == nil || time.Since(began) > 30*time.Second {
		t.Errorf("hanging helper: %v after %v", err, time.Since(began))
	}
}

func TestServe(t *testing.T) {
	in, _ := json.Marshal(req)
	var out bytes.Buffer
	code := Serve(context.Background(), bytes.NewReader(in), &out, func(_ context.Context, r Request) (Result, error) {
		if r != req {
			t.Errorf("request %+v", r)
		}
		return Result{CommonName: "CAP-1", Serial: "2a"}, nil
	})
	if code != 0 || !strings.Contains(out.String(), `"serial":"2a"`) {
		t.Errorf("code %d, out %s", code, out.String())
	}
	out.Reset()
	code = Serve(context.Background(), bytes.NewReader(in), &out, func(context.Context, Request) (Result, error) {
		return Result{}, errors.Join(ErrPending, errors.New("held"))
	})
	if code != 1 || !strings.Contains(out.String(), `"pending":true`) {
		t.Errorf("pending: code %d, out %s", code, out.String())
	}
	for _, bad := range []string{`{"url":"x"}`, `[`, strings.Repeat(" ", 70<<10) + "{}"} {
		out.Reset()
		called := false
		code := Serve(context.Background(), strings.NewReader(bad), &out, func(context.Context, Request) (Result, error) {
			called = true
			return Result{}, nil
		})
		if code != 2 || called || !strings.Contains(out.String(), `"error":"request`) {
			t.Errorf("request %.40q: code %d, called %v, out %s", bad, code, called, out.String())
		}
	}
}

// A newer agent's request (a field this helper does not know) is served:
// the manager upgrades capstan-agent, not its helper.
func TestServeTakesANewerAgentsRequest(t *testing.T) {
	var out bytes.Buffer
	in := `{"url":"http://ca/scep","state_dir":"/s","common_name":"CAP-1","key_type":"ml-dsa"}`
	code := Serve(context.Background(), strings.NewReader(in), &out, func(_ context.Context, r Request) (Result, error) {
		return Result{CommonName: r.CommonName}, nil
	})
	if code != 0 || !strings.Contains(out.String(), `"common_name":"CAP-1"`) {
		t.Errorf("code %d, out %s", code, out.String())
	}
}

func TestFindNamesThePackage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), "needs the capstan-agent-scep package") {
		t.Errorf("Find with no helper: %v", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, HelperName)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if got, err := Find(); err != nil || got != p {
		t.Errorf("Find = %q, %v; want %s", got, err, p)
	}
}
