package httpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestAgainstNetHTTPServer(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s %s %q %s", r.Method, r.URL.RequestURI(), r.Header.Get("X-Op"), r.Header.Get("User-Agent"), b)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length and flushed: net/http's server sends it chunked.
		for i := range 100 {
			fmt.Fprintf(w, "%04d%s", i, strings.Repeat("x", 996))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no such operation", 404) })
	mux.HandleFunc("/found", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/echo?via=302", http.StatusFound) })
	mux.HandleFunc("/temporary", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo?via=307", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	c := &Client{UserAgent: "capstan-agent/test"}
	ctx := context.Background()

	for _, tc := range []struct {
		name   string
		req    Request
		status int
		body   string
	}{
		{"GET", Request{Method: "GET", URL: ts.URL + "/echo?operation=GetCACaps&x=a%20b", Header: map[string]string{"X-Op": "caps"}}, 200,
			`GET /echo?operation=GetCACaps&x=a%20b caps "capstan-agent/test" `},
		{"POST", Request{Method: "POST", URL: ts.URL + "/echo", Body: []byte("\x30\x80message")}, 200, "POST /echo  \"capstan-agent/test\" \x30\x80message"},
		{"empty POST", Request{Method: "POST", URL: ts.URL + "/echo"}, 200, `POST /echo  "capstan-agent/test" `},
		{"error status is an answer", Request{Method: "GET", URL: ts.URL + "/status"}, 404, "no such operation\n"},
		{"302 followed by GET", Request{Method: "GET", URL: ts.URL + "/found"}, 200, `GET /echo?via=302  "capstan-agent/test" `},
		{"302 not followed by POST", Request{Method: "POST", URL: ts.URL + "/found", Body: []byte("m")}, 302, ""},
		{"307 followed by POST with its body", Request{Method: "POST", URL: ts.URL + "/temporary", Body: []byte("m")}, 200, `POST /echo?via=307  "capstan-agent/test" m`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Do(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || (tc.body != "" && string(resp.Body) != tc.body) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tc.status, tc.body)
			}
		})
	}

	resp, err := c.Do(ctx, Request{Method: "GET", URL: ts.URL + "/big"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Body) != 100_000 || !bytes.HasPrefix(resp.Body, []byte("0000x")) || string(resp.Body[99_000:99_004]) != "0099" {
		t.Errorf("chunked body: %d bytes, want 100000 in order", len(resp.Body))
	}
	if te := resp.Header.Get("Content-Length"); te != "" {
		t.Errorf("the big answer was not chunked (Content-Length %s): the test no longer covers chunked bodies", te)
	}
	small := &Client{MaxBody: 50_000}
	if _, err := small.Do(ctx, Request{Method: "GET", URL: ts.URL + "/big"}); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("chunked body over MaxBody: err %v, want ErrBodyTooLarge", err)
	}
	if _, err := c.Do(ctx, Request{Method: "GET", URL: ts.URL + "/loop"}); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: err %v", err)
	}
}

func TestHTTPS(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tls %x", r.TLS.Version)
	}))
	defer ts.Close()
	trusted := &Client{TLS: &tls.Config{RootCAs: ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}
	// httptest's certificate names example.com and 127.0.0.1.
	resp, err := trusted.Do(context.Background(), Request{Method: "GET", URL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "tls 304" {
		t.Errorf("body %q, want TLS 1.3", resp.Body)
	}
	// A redirect out of TLS is refused.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	down := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/scep", http.StatusFound))
	defer down.Close()
	roots := down.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	if _, err := (&Client{TLS: &tls.Config{RootCAs: roots}}).Do(context.Background(), Request{Method: "GET", URL: down.URL}); err == nil || !strings.Contains(err.Error(), "leaves TLS") {
		t.Errorf("https → http redirect: err %v", err)
	}
	_, err = (&Client{}).Do(context.Background(), Request{Method: "GET", URL: ts.URL})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("server certificate from an unknown CA: err %v, want a verification error", err)
	}
}

func TestRefusedRequests(t *testing.T) {
	c := &Client{}
	for _, r := range []Request{
		{Method: "PUT", URL: "http://127.0.0.1:9/"},
		{Method: "GET", URL: "ftp://127.0.0.1/"},
		{Method: "GET", URL: "http:///path"},
		{Method: "GET", URL: "http://user:secret@127.0.0.1:9/"},
		{Method: "GET", URL: "http://127.0.0.1:9/", Header: map[string]string{"X-A": "b\r\nInjected: yes"}},
		{Method: "GET", URL: "http://127.0.0.1:9/", Header: map[string]string{"Bad Name": "v"}},
		{Method: "GET", URL: "http://127.0.0.1:9/", Header: map[string]string{"Host": "other"}},
		{Method: "POST", URL: "http://127.0.0.1:9/", Header: map[string]string{"content-length": "5"}},
	} {
		_, err := c.Do(context.Background(), r)
		if err == nil {
			t.Errorf("%s %s %q: no error", r.Method, r.URL, r.Header)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the URL's password: %v", err)
		}
	}
}

// rawServer answers every connection with answer after reading the
// request's head, then closes (or, with hold, keeps it open).
func rawServer(t *testing.T, answer string, hold bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				var got []byte
				for !bytes.Contains(got, []byte("\r\n\r\n")) {
					n, err := conn.Read(buf)
					if err != nil {
						return
					}
					got = append(got, buf[:n]...)
				}
				io.WriteString(conn, answer)
				if hold {
					<-done
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

func TestAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		status       int
		body         string
		err          string
	}{
		{"interim answers skipped", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", ""},
		{"HTTP/1.0 up to the close", "HTTP/1.0 200 OK\r\n\r\nall of it", 200, "all of it", ""},
		{"HTTP/1.0 ignores Transfer-Encoding", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc", 200, "3\r\nabc", ""},
		{"chunked with extension and trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;name=v\r\nabc\r\n2 \r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n", 200, "abcde", ""},
		{"chunked wins over Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", 200, "a", ""},
		{"identical Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 200, "ok", ""},
		{"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", 204, "", ""},
		{"Content-Lengths disagree", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", 0, "", "disagree"},
		{"signed Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", 0, "", "bad Content-Length"},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok", 0, "", "after 2 of 5 bytes"},
		{"chunk with bare LF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 0, "", "without CRLF"},
		{"chunk without CRLF after data", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", 0, "", "CRLF"},
		{"negative chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n", 0, "", "bad chunk size"},
		{"gzip transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 0, "", "unsupported Transfer-Encoding"},
		{"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n", 0, "", "not HTTP/1.x"},
		{"bad status", "HTTP/1.1 20 OK\r\n\r\n", 0, "", "bad status code"},
		{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, "", "101"},
		{"too many interim answers", strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 6), 0, "", "interim"},
		{"Content-Length over the limit", "HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\n", 0, "", "over the limit"},
		{"header over the limit", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 1000)+"\r\n", 70) + "\r\n", 0, "", "header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := (&Client{}).Do(context.Background(), Request{Method: "GET", URL: rawServer(t, tc.answer, false)})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || string(resp.Body) != tc.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Body, tc.status, tc.body)
			}
		})
	}
}

// A chunked body of tiny chunks with long extensions: framing without
// data. The client stops reading at its bound instead of taking it all.
func TestChunkFramingIsBounded(t *testing.T) {
	chunk := "1;" + strings.Repeat("x", 900) + "\r\na\r\n"
	url := rawServer(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"+strings.Repeat(chunk, 200)+"0\r\n\r\n", false)
	_, err := (&Client{MaxBody: 1000}).Do(context.Background(), Request{Method: "GET", URL: url})
	if err == nil {
		t.Fatal("180 KB of chunk framing for 200 bytes of body was read whole")
	}
	t.Logf("stopped: %v", err)
}

func TestBodyUpToTheCloseIsBounded(t *testing.T) {
	url := rawServer(t, "HTTP/1.1 200 OK\r\n\r\n"+strings.Repeat("z", 2000), false)
	if _, err := (&Client{MaxBody: 1000}).Do(context.Background(), Request{Method: "GET", URL: url}); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("err %v, want ErrBodyTooLarge", err)
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	// A server that sends half a body and then nothing: the client's
	// Timeout ends the exchange.
	url := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", true)
	start := time.Now()
	_, err := (&Client{Timeout: 200 * time.Millisecond}).Do(context.Background(), Request{Method: "GET", URL: url})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stalled server: err %v, want the deadline", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("stalled server held the client %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := (&Client{}).Do(ctx, Request{Method: "GET", URL: url}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v, want context.Canceled", err)
	}
}
