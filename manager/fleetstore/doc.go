// Package fleetstore keeps the state several managers share in etcd: the
// configuration, the PKI, adoption, saved channels, upgrade offers and the
// directory of which manager holds which CAP. A change is committed in a
// transaction on the revision it was based on (a concurrent change is a
// conflict, never a lost update), every manager watches what it caches,
// and leased keys vanish with the manager that wrote them.
//
// Without --store a manager keeps all of this in its state directory; this
// package is linked by the manager only, never by the agent.
package fleetstore
