// Package admin keeps the manager's administrators for the web console and
// the API: users in a group (full, or read: looks, changes nothing),
// passwords hashed with Argon2id, browser sessions with a CSRF token and
// an idle and an absolute expiry, and login attempts limited per source
// address and per user name.
//
// Users live in users.json in the state directory (0600, written
// atomically); sessions live in memory, so a restart logs everyone out.
// The API's bearer token stays for the CLI and automation.
package admin
