package access

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2868"
	"layeh.com/radius/rfc2869"
)

// RADIUSAnswer is a RADIUS server's decision on a client.
type RADIUSAnswer struct {
	Accept bool
	VLANID int    // from Tunnel-Private-Group-ID, 0 if none
	Reply  string // Reply-Message, if any
}

// MACUserName is the client MAC as query-radius sends it in User-Name,
// User-Password and Calling-Station-Id: upper-case, dash-separated
// (AA-BB-CC-DD-EE-FF), the form RFC 3580 §3.21 recommends.
func MACUserName(c Client) string {
	return strings.ToUpper(strings.ReplaceAll(c.MAC.String(), ":", "-"))
}

// QueryRADIUS asks server (address:port) whether c may join: a MAC
// authentication Access-Request (Service-Type Call-Check) carrying
// Message-Authenticator, which servers patched for CVE-2024-3596 require.
// It retries every second until ctx ends.
func QueryRADIUS(ctx context.Context, server, secret, nasID string, c Client) (RADIUSAnswer, error) {
	p := radius.New(radius.CodeAccessRequest, []byte(secret))
	user := MACUserName(c)
	add := []error{
		rfc2865.UserName_SetString(p, user),
		rfc2865.UserPassword_SetString(p, user),
		rfc2865.CallingStationID_SetString(p, user),
		rfc2865.CalledStationID_SetString(p, c.Interface+":"+c.SSID),
		rfc2865.NASIdentifier_SetString(p, nasID),
		rfc2865.ServiceType_Set(p, rfc2865.ServiceType_Value_CallCheck),
		rfc2869.MessageAuthenticator_Set(p, make([]byte, 16)),
	}
	if err := errors.Join(add...); err != nil {
		return RADIUSAnswer{}, fmt.Errorf("radius request: %w", err)
	}
	raw, err := p.Encode()
	if err != nil {
		return RADIUSAnswer{}, fmt.Errorf("radius request: %w", err)
	}
	// RFC 3579 §3.2: HMAC-MD5 over the packet with the attribute zeroed.
	mac := hmac.New(md5.New, []byte(secret))
	mac.Write(raw)
	if err := rfc2869.MessageAuthenticator_Set(p, mac.Sum(nil)); err != nil {
		return RADIUSAnswer{}, err
	}
	client := &radius.Client{Retry: time.Second, MaxPacketErrors: 10}
	resp, err := client.Exchange(ctx, p, server)
	if err != nil {
		return RADIUSAnswer{}, fmt.Errorf("radius %s: %w", server, err)
	}
	if err := checkResponseAuthenticator(resp, p.Authenticator, []byte(secret)); err != nil {
		return RADIUSAnswer{}, fmt.Errorf("radius %s: %w", server, err)
	}
	ans := RADIUSAnswer{Accept: resp.Code == radius.CodeAccessAccept, Reply: rfc2865.ReplyMessage_GetString(resp)}
	if _, vlan, err := rfc2868.TunnelPrivateGroupID_LookupString(resp); err == nil {
		if n, err := strconv.Atoi(vlan); err == nil && n >= 1 && n <= 4094 {
			ans.VLANID = n
		}
	}
	switch resp.Code {
	case radius.CodeAccessAccept, radius.CodeAccessReject:
		return ans, nil
	}
	return ans, fmt.Errorf("radius %s: unexpected %v", server, resp.Code)
}

// ErrNoMessageAuthenticator: a response without a valid
// Message-Authenticator, which a forger who broke the MD5 Response
// Authenticator could have made (Blast-RADIUS, CVE-2024-3596).
var ErrNoMessageAuthenticator = errors.New("response without a valid Message-Authenticator (required against Blast-RADIUS, CVE-2024-3596)")

// checkResponseAuthenticator verifies the response's Message-Authenticator
// (RFC 3579 §3.2): HMAC-MD5 with the secret over the response with the
// request's authenticator in place of its own and the attribute zeroed.
// The client half of the Blast-RADIUS fix requires it in every answer.
func checkResponseAuthenticator(resp *radius.Packet, reqAuth [16]byte, secret []byte) error {
	got, err := rfc2869.MessageAuthenticator_Lookup(resp)
	if err != nil || len(got) != 16 {
		return ErrNoMessageAuthenticator
	}
	raw, err := resp.MarshalBinary()
	if err != nil {
		return err
	}
	copy(raw[4:20], reqAuth[:])
	found := false
	for i := 20; i+2 <= len(raw); {
		typ, n := raw[i], int(raw[i+1])
		if n < 2 || i+n > len(raw) {
			return ErrNoMessageAuthenticator
		}
		if typ == 80 && n == 18 && !found {
			clear(raw[i+2 : i+18])
			found = true
		}
		i += n
	}
	mac := hmac.New(md5.New, secret)
	mac.Write(raw)
	if !found || !hmac.Equal(mac.Sum(nil), got) {
		return ErrNoMessageAuthenticator
	}
	return nil
}
