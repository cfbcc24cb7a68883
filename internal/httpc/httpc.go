// Package httpc is the agent's HTTP/1.1 client: one request per
// connection (Connection: close), over TCP or TLS, with the whole exchange
// under one deadline and every answer bounded. It stands in for net/http
// in capstan-agent, where net/http cost 0.26 MB of the 3.33 MB mipsel_24kc
// package for the two kinds of request SCEP makes (GET and POST of one
// message). Headers are parsed by net/textproto; what this package adds is
// the request line, the framing of the body (Content-Length, chunked, or
// up to the close) and redirects.
//
// Left out on purpose: keep-alive, HTTP/2, proxies from the environment,
// cookies, compression and authentication. An AP's agent talks to one SCEP
// server a few times a year.
package httpc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults and bounds.
const (
	DefaultTimeout = 30 * time.Second
	DefaultMaxBody = 1 << 20 // bytes of a response body
	MaxHeaderBytes = 64 << 10
	MaxRedirects   = 10
)

// Client sends requests. The zero Client is ready to use.
type Client struct {
	// Timeout bounds one Do, redirects included; 0 means DefaultTimeout.
	Timeout time.Duration
	// TLS is the configuration for https (nil: the system's roots). Its
	// ServerName is set from each URL.
	TLS *tls.Config
	// MaxBody bounds a response body; 0 means DefaultMaxBody.
	MaxBody int64
	// UserAgent is sent as User-Agent ("" sends none).
	UserAgent string
	// Dial opens the TCP connection (nil: a net.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Request is what Do sends.
type Request struct {
	Method string // GET or POST
	URL    string // http:// or https://
	// Header fields to send; Host, Content-Length and Connection are the
	// client's own and refused here.
	Header map[string]string
	Body   []byte
}

// Response is a whole answer.
type Response struct {
	StatusCode int
	Status     string // "200 OK"
	Proto      string // "HTTP/1.1"
	Header     textproto.MIMEHeader
	Body       []byte
	URL        *url.URL // the URL that answered, after redirects
}

// Do sends r and reads the answer, following up to MaxRedirects
// redirects: 301, 302, 303, 307 and 308 for GET; for POST only 307 and
// 308, which keep the method and body (a POST turned into a GET would
// drop the message); never from https to http. Any status is a Response; errors are transport
// errors, malformed answers and bounds.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	if r.Method != "GET" && r.Method != "POST" {
		return nil, fmt.Errorf("http: method %q not supported", r.Method)
	}
	for k, v := range r.Header {
		if !validFieldName(k) || !validFieldValue(v) {
			return nil, fmt.Errorf("http: invalid header field %q", k)
		}
		switch strings.ToLower(k) {
		case "host", "content-length", "connection", "transfer-encoding":
			return nil, fmt.Errorf("http: header field %s is the client's own", k)
		}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u, err := parseURL(r.URL)
	if err != nil {
		return nil, err
	}
	for hops := 0; ; hops++ {
		resp, err := c.roundTrip(ctx, r, u)
		if err != nil {
			return nil, fmt.Errorf("http: %s %s: %w", r.Method, redacted(u), err)
		}
		next, ok := redirect(r.Method, resp)
		if !ok {
			return resp, nil
		}
		if hops == MaxRedirects {
			return nil, fmt.Errorf("http: %s %s: stopped after %d redirects", r.Method, redacted(u), MaxRedirects)
		}
		from := u
		if u, err = u.Parse(next); err != nil {
			return nil, fmt.Errorf("http: redirect to %q: %w", next, err)
		}
		if u, err = parseURL(u.String()); err != nil {
			return nil, fmt.Errorf("http: redirect: %w", err)
		}
		if from.Scheme == "https" && u.Scheme != "https" {
			return nil, fmt.Errorf("http: %s redirects to %s: refused, it leaves TLS", redacted(from), redacted(u))
		}
	}
}

// redirect returns the Location to follow, if resp is a redirect this
// client follows for method.
func redirect(method string, resp *Response) (string, bool) {
	switch resp.StatusCode {
	case 301, 302, 303:
		if method != "GET" {
			return "", false
		}
	case 307, 308:
	default:
		return "", false
	}
	loc := resp.Header.Get("Location")
	return loc, loc != ""
}

func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("http: URL %s: scheme must be http or https", redacted(u))
	}
	if u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("http: URL %s: needs a host and no user information", redacted(u))
	}
	return u, nil
}

// redacted is u without user information, for messages.
func redacted(u *url.URL) string {
	v := *u
	v.User = nil
	return v.String()
}

// roundTrip is one request on a new connection.
func (c *Client) roundTrip(ctx context.Context, r Request, u *url.URL) (*Response, error) {
	conn, err := c.dial(ctx, u)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	if _, err := conn.Write(requestBytes(r, u, c.UserAgent)); err != nil {
		return nil, ctxErr(ctx, err)
	}
	maxBody := c.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	lr := &io.LimitedReader{R: conn, N: MaxHeaderBytes}
	resp, err := readResponse(bufio.NewReader(lr), r.Method, maxBody, func() { lr.N += maxBody + chunkOverhead(maxBody) })
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	resp.URL = u
	return resp, nil
}

// ctxErr names the deadline or cancellation when that is why I/O failed.
// The connection's deadline is the context's, and may pass a moment
// before the context's own timer fires.
func ctxErr(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	return err
}

func (c *Client) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "http" {
		return conn, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLS != nil {
		cfg = c.TLS.Clone()
	}
	cfg.ServerName = u.Hostname()
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// requestBytes is the request as sent: request line, the client's own
// fields, the caller's, and the body.
func requestBytes(r Request, u *url.URL, userAgent string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", r.Method, u.RequestURI(), u.Host)
	if userAgent != "" {
		fmt.Fprintf(&b, "User-Agent: %s\r\n", userAgent)
	}
	for k, v := range r.Header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	if r.Method == "POST" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.Body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

// validFieldName is RFC 9110's token.
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validFieldValue refuses control characters (CR and LF above all).
func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// ErrBodyTooLarge is a response body over the client's MaxBody.
var ErrBodyTooLarge = errors.New("response body over the limit")
