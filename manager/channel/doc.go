// Package channel chooses a radio's operating channel the way CAPsMAN's
// channel profiles ask for it: when the profile fixes no single frequency,
// the least-occupied allowed channel of the CAP's survey, honouring band,
// width and skip-dfs-channels; and it remembers the choices that
// save-selected keeps across reconnects, in one file of the state
// directory.
package channel
