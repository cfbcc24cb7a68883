package access

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"errors"
	"net"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2869"
)

// radiusServer answers every Access-Request with Access-Accept, signing
// the answer's Message-Authenticator as sign says: "valid", "missing" or
// "forged" (a value made without the secret).
func radiusServer(t *testing.T, secret, sign string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &radius.PacketServer{SecretSource: radius.StaticSecretSource([]byte(secret)),
		Handler: radius.HandlerFunc(func(w radius.ResponseWriter, r *radius.Request) {
			resp := r.Response(radius.CodeAccessAccept)
			switch sign {
			case "valid":
				_ = rfc2869.MessageAuthenticator_Set(resp, make([]byte, 16))
				raw, _ := resp.MarshalBinary()
				copy(raw[4:20], r.Authenticator[:])
				mac := hmac.New(md5.New, []byte(secret))
				mac.Write(raw)
				_ = rfc2869.MessageAuthenticator_Set(resp, mac.Sum(nil))
			case "forged":
				_ = rfc2869.MessageAuthenticator_Set(resp, []byte("0123456789abcdef"))
			}
			_ = w.Write(resp)
		})}
	go srv.Serve(pc)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return pc.LocalAddr().String()
}

// query-radius takes an answer only with a valid Message-Authenticator:
// the client half of the Blast-RADIUS fix.
func TestQueryRADIUSRequiresMessageAuthenticator(t *testing.T) {
	c := Client{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, Interface: "cap1", SSID: "x"}
	for _, tc := range []struct {
		sign string
		ok   bool
	}{{"valid", true}, {"missing", false}, {"forged", false}} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		ans, err := QueryRADIUS(ctx, radiusServer(t, "s3cret", tc.sign), "s3cret", "capstan", c)
		cancel()
		if tc.ok && (err != nil || !ans.Accept) {
			t.Errorf("%s Message-Authenticator: %+v %v, want accept", tc.sign, ans, err)
		}
		if !tc.ok && !errors.Is(err, ErrNoMessageAuthenticator) {
			t.Errorf("%s Message-Authenticator: %+v %v, want ErrNoMessageAuthenticator", tc.sign, ans, err)
		}
	}
}
