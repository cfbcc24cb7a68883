// Package agent is the CAP side of capstan: the WTP state machine of RFC 5415
// §2.3 (discovery → join → configure → data-check → run, and back to
// discovery when the manager is lost), discovery over configured addresses,
// DNS, DHCP option 138, IPv4 broadcast and layer 2, manager selection as
// CAPsMAN does it, the echo keepalive, certificate enrollment (in-band during
// join, or SCEP), renewal, the lock to a manager, and the status the agent
// reports over its unix socket.
//
// Status: radio reconcile beyond the default WLAN, station events and the
// data channel client (manager forwarding) arrive with later issues.
package agent
