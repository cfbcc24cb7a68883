// Package manager is the AC side of capstan: sessions, the configuration
// model, provisioning, channel selection, access list, registration table,
// store, REST API, CLI, data plane and web UI, each as a sub-package.
//
// Status: the package is laid out by the foundation issue; its behaviour
// arrives with the control-plane issue.
package manager
