// Package model is the manager's configuration model, in CAPsMAN's terms:
// the profiles (configuration, channel, datapath, security, rates), static
// interfaces, provisioning rules, the access list and the manager's own
// settings. Every resource is described by a schema of fields, so that one
// set of code parses the CLI's key=value text and the API's JSON, names the
// field in every error, prints tables, writes the OpenAPI description and
// stores the whole configuration as one human-readable JSON file that is
// replaced atomically on every change.
package model
