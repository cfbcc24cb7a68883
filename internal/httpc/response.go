package httpc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
)

// maxInterim bounds the 1xx answers skipped before the final one.
const maxInterim = 5

// chunkOverhead is how many bytes of chunked framing (size lines,
// extensions, trailers) a body of up to maxBody bytes may bring.
func chunkOverhead(maxBody int64) int64 { return maxBody + MaxHeaderBytes }

// readResponse reads the answer to a request with method from br: the
// status line and header fields (the caller bounds br), then the body,
// after calling bodyStarts so that the caller can widen its bound.
func readResponse(br *bufio.Reader, method string, maxBody int64, bodyStarts func()) (*Response, error) {
	tp := textproto.NewReader(br)
	var resp *Response
	for interim := 0; ; interim++ {
		r, err := readHead(tp)
		if err != nil {
			return nil, err
		}
		if r.StatusCode >= 200 {
			resp = r
			break
		}
		if r.StatusCode == 101 {
			return nil, errors.New("101 Switching Protocols to a request that asked for no upgrade")
		}
		if interim == maxInterim {
			return nil, fmt.Errorf("more than %d interim (1xx) responses", maxInterim)
		}
	}
	bodyStarts()
	var err error
	switch {
	case method == "HEAD" || resp.StatusCode == 204 || resp.StatusCode == 304:
	case resp.Proto == "HTTP/1.1" && resp.Header.Get("Transfer-Encoding") != "":
		if err = onlyChunked(resp.Header["Transfer-Encoding"]); err == nil {
			resp.Body, err = readChunked(br, tp, maxBody)
		}
	default:
		var n int64
		if n, err = contentLength(resp.Header["Content-Length"]); err != nil {
			break
		}
		if n > maxBody {
			return nil, fmt.Errorf("%w: Content-Length %d, limit %d", ErrBodyTooLarge, n, maxBody)
		}
		resp.Body, err = readBody(br, n, maxBody)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: body: %w", resp.Status, err)
	}
	return resp, nil
}

// readHead reads a status line and its header fields.
func readHead(tp *textproto.Reader) (*Response, error) {
	line, err := tp.ReadLine()
	if err != nil {
		return nil, fmt.Errorf("status line: %w", unexpected(err))
	}
	proto, status, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(status, " ")
	if proto != "HTTP/1.1" && proto != "HTTP/1.0" {
		return nil, fmt.Errorf("status line %q: not HTTP/1.x", clip(line))
	}
	n, err := strconv.Atoi(code)
	if len(code) != 3 || err != nil || n < 100 {
		return nil, fmt.Errorf("status line %q: bad status code", clip(line))
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	return &Response{StatusCode: n, Status: status, Proto: proto, Header: h}, nil
}

// onlyChunked accepts the one transfer coding the client supports.
func onlyChunked(fields []string) error {
	if len(fields) == 1 && strings.EqualFold(textproto.TrimString(fields[0]), "chunked") {
		return nil
	}
	return fmt.Errorf("unsupported Transfer-Encoding %q", fields)
}

// contentLength is the body's length from its Content-Length fields, -1
// without one. Several fields must agree.
func contentLength(fields []string) (int64, error) {
	if len(fields) == 0 {
		return -1, nil
	}
	v := textproto.TrimString(fields[0])
	for _, f := range fields[1:] {
		if textproto.TrimString(f) != v {
			return 0, fmt.Errorf("Content-Length fields disagree: %q", fields)
		}
	}
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil || v == "" || v[0] == '+' {
		return 0, fmt.Errorf("bad Content-Length %q", clip(v))
	}
	return int64(n), nil
}

// readBody reads n bytes, or up to the end when n is -1, at most max.
func readBody(r io.Reader, n, max int64) ([]byte, error) {
	if n >= 0 {
		b := make([]byte, n)
		if got, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("%w after %d of %d bytes", unexpected(err), got, n)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, max)
	}
	return b, nil
}

// readChunked reads a chunked body (RFC 9112 §7.1) of at most max bytes
// and its trailer fields, which are read and dropped.
func readChunked(br *bufio.Reader, tp *textproto.Reader, max int64) ([]byte, error) {
	var body bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, fmt.Errorf("chunk size: %w", unexpected(err))
		}
		size, err := chunkSize(line)
		if err != nil {
			return nil, err
		}
		if size == 0 {
			if _, err := tp.ReadMIMEHeader(); err != nil {
				return nil, fmt.Errorf("trailer: %w", err)
			}
			return body.Bytes(), nil
		}
		if size > max-int64(body.Len()) {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, max)
		}
		if _, err := io.CopyN(&body, br, size); err != nil {
			return nil, fmt.Errorf("chunk: %w", unexpected(err))
		}
		var crlf [2]byte
		if _, err := io.ReadFull(br, crlf[:]); err != nil || crlf != [2]byte{'\r', '\n'} {
			return nil, errors.New("chunk not followed by CRLF")
		}
	}
}

// chunkSize parses a chunk-size line: hex digits, optional whitespace and
// extensions (ignored), CRLF.
func chunkSize(line []byte) (int64, error) {
	s, ok := bytes.CutSuffix(line, []byte("\r\n"))
	if !ok {
		return 0, fmt.Errorf("chunk size line %q without CRLF", clip(string(line)))
	}
	if i := bytes.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	s = bytes.TrimRight(s, " \t")
	if len(s) == 0 || len(s) > 15 {
		return 0, fmt.Errorf("bad chunk size %q", clip(string(line)))
	}
	n, err := strconv.ParseInt(string(s), 16, 64)
	if err != nil || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("bad chunk size %q", clip(string(line)))
	}
	return n, nil
}

// unexpected is err, with the end of the stream named as unexpected.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// clip shortens what a peer sent for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
