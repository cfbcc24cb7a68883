package pki

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// The issue records are a snapshot (issued.json) and a journal
// (issued.log) of what happened since: issuing a certificate appends one
// line and syncs it, whatever the number of records, and the snapshot is
// rewritten only every journalCompactEvery lines, at open, and on the rare
// changes of everything (revocation, CRL numbering). A torn last line (a
// crash while appending) is dropped: its certificate was never handed out,
// as the record is synced before it is.
const (
	issuedJournalName   = "issued.log"
	journalCompactEvery = 1024
)

type journalEntry struct {
	Issue     *Issued     `json:"issue,omitempty"`
	Supersede *superseded `json:"supersede,omitempty"`
}

type superseded struct {
	Serial string    `json:"serial"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// appendJournalLocked makes entries durable and applies them; a.mu is held.
func (a *Authority) appendJournalLocked(entries []journalEntry) error {
	if a.cfg.Fleet != nil {
		if err := a.commitFleetLocked(entries); err != nil {
			return err
		}
		for _, e := range entries {
			a.applyLocked(e)
		}
		return nil
	}
	var buf bytes.Buffer
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	}
	f, err := os.OpenFile(a.path(issuedJournalName), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(buf.Bytes())
	serr := f.Sync()
	if cerr := f.Close(); werr == nil && serr == nil {
		werr = cerr
	}
	if err := errors.Join(werr, serr); err != nil {
		return err
	}
	for _, e := range entries {
		a.applyLocked(e)
	}
	a.journalLines += len(entries)
	if a.journalLines >= journalCompactEvery {
		return a.saveIssuedLocked(a.issued)
	}
	return nil
}

// applyLocked applies one journal entry to the records; replaying an
// entry the snapshot already holds changes nothing.
func (a *Authority) applyLocked(e journalEntry) {
	if s := e.Supersede; s != nil {
		if i, ok := a.bySerial[s.Serial]; ok && a.issued.Issued[i].SupersededAt == nil {
			at := s.At
			a.issued.Issued[i].SupersededAt, a.issued.Issued[i].SupersededBy = &at, s.By
		}
	}
	if r := e.Issue; r != nil {
		if _, dup := a.bySerial[r.Serial]; !dup {
			a.issued.Issued = append(a.issued.Issued, *r)
			a.indexLocked(len(a.issued.Issued) - 1)
		}
	}
}

// saveIssuedLocked writes f as the snapshot, empties the journal and
// installs f; a.mu is held. A crash between the two leaves a journal that
// replays onto a snapshot that has it all: nothing changes.
func (a *Authority) saveIssuedLocked(f issuedFile) error {
	if err := writeJSON(a.path(issuedName), f); err != nil {
		return err
	}
	if err := os.Truncate(a.path(issuedJournalName), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	a.setIssuedLocked(f)
	a.journalLines = 0
	return nil
}

// loadIssuedLocked reads the snapshot and replays the journal onto it,
// then compacts; a.mu is held.
func (a *Authority) loadIssuedLocked() error {
	var f issuedFile
	if err := readJSON(a.path(issuedName), &f); err != nil {
		return err
	}
	a.setIssuedLocked(f)
	b, err := os.ReadFile(a.path(issuedJournalName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			if !bytes.HasSuffix(b, []byte("\n")) && line == bytes.Count(b, []byte("\n"))+1 {
				break // the torn last line of a crash: never acknowledged
			}
			return fmt.Errorf("%s line %d: %w", issuedJournalName, line, err)
		}
		a.applyLocked(e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", issuedJournalName, err)
	}
	if line == 0 {
		return nil
	}
	return a.saveIssuedLocked(a.issued)
}
