package agent

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStatusSocket(t *testing.T) {
	a, _ := newApplyAgent(t)
	dir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.ServeStatus(ctx, dir) }()
	path := filepath.Join(dir, StatusSocket)

	var b []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if b, err = FetchStatus(ctx, dir); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status socket never answered: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var st Status
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, b)
	}
	if len(st.Radios) != 2 {
		t.Errorf("status has %d radios, want 2: %s", len(st.Radios), b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v, want 0600", fi.Mode(), err)
	}

	// A client that sends junk and never reads does not stop the next one.
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte(strings.Repeat("GET / HTTP/1.1\r\n", 100)))
	if _, err := FetchStatus(ctx, dir); err != nil {
		t.Errorf("second client after a silent one: %v", err)
	}
	c.Close()

	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeStatus after cancel: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket left behind after stop: %v", err)
	}
}

func TestFetchStatusRefusesWhatIsNotStatus(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(dir, StatusSocket))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	answers := []string{"HTTP/1.1 200 OK\r\n\r\n{}", strings.Repeat("[", maxStatus+10)}
	go func() {
		for _, s := range answers {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(s))
			c.Close()
		}
	}()
	for _, want := range []string{"not a JSON document", "over 1048576 bytes"} {
		if _, err := FetchStatus(context.Background(), dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("FetchStatus: %v, want an error with %q", err, want)
		}
	}
	if _, err := FetchStatus(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "no running agent") {
		t.Errorf("no agent: %v", err)
	}
}
