// Package tests holds capstan's cross-package tests: the import rules between
// the binaries, and (in later issues) the network-namespace end-to-end tests,
// the QEMU board tests and the benchmarks. Tests that need root, network
// namespaces, tshark or QEMU skip with the exact reason when a tool is missing.
package tests
