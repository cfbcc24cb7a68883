package httpc

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzReadResponse reads any bytes as an answer. It never panics, never
// returns more body than the limit, reads no more than the bounds allow,
// and wherever both this reader and net/http's ReadResponse take the
// answer, they agree on the status and the body.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nrest",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	const maxBody = 4096
	f.Fuzz(func(t *testing.T, in []byte) {
		src := &countingReader{r: bytes.NewReader(in)}
		lr := &io.LimitedReader{R: src, N: MaxHeaderBytes}
		resp, err := readResponse(bufio.NewReader(lr), "GET", maxBody, func() { lr.N += maxBody + chunkOverhead(maxBody) })
		if limit := int64(MaxHeaderBytes + maxBody + chunkOverhead(maxBody)); src.n > limit {
			t.Fatalf("read %d bytes, bound %d", src.n, limit)
		}
		if err != nil {
			return
		}
		if len(resp.Body) > maxBody {
			t.Fatalf("body of %d bytes over the limit %d", len(resp.Body), maxBody)
		}
		req, _ := http.NewRequest("GET", "http://capstan.test/", nil)
		theirs, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(in)), req)
		if err != nil || theirs.StatusCode < 200 { // net/http's Transport skips 1xx itself
			return
		}
		body, err := io.ReadAll(theirs.Body)
		if err != nil {
			return
		}
		if theirs.StatusCode != resp.StatusCode || !bytes.Equal(body, resp.Body) {
			t.Fatalf("net/http reads %d %q, httpc %d %q from\n%q", theirs.StatusCode, body, resp.StatusCode, resp.Body, in)
		}
		if got, want := resp.Header.Get("Location"), theirs.Header.Get("Location"); got != want && !strings.Contains(string(in), "\n ") {
			t.Fatalf("Location %q, net/http %q", got, want)
		}
	})
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
