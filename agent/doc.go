// Package agent is the WTP side of capstan (RFC 5415 §2.3): the state machine
// discover → join → configure → data-check → run → reset, certificate
// enrollment, radio reconcile through the hal, station events and the data
// channel client. It must never import capstan's manager packages, so that
// the AP binary stays small; tests/imports_test.go enforces it.
//
// Status: the package is laid out by the foundation issue; its behaviour
// arrives with the control-plane issue.
package agent
