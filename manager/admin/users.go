package admin

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/capstan-wifi/capstan/pki"
)

// Group is what a user may do.
type Group string

// Groups.
const (
	Full Group = "full" // everything the API does
	Read Group = "read" // reads only: the API refuses every change
)

// FileName is the users file in the state directory.
const FileName = "users.json"

// MaxUsers bounds the users file.
const MaxUsers = 1000

// User is one administrator, without the hash.
type User struct {
	Name    string    `json:"name"`
	Group   Group     `json:"group"`
	Created time.Time `json:"created"`
}

type record struct {
	User
	Hash string `json:"hash"`
}

// Errors of Store.
var (
	ErrExists   = errors.New("a user of that name exists")
	ErrNotFound = errors.New("no such user")
	ErrLastFull = errors.New("the last user of group full cannot be removed or made read-only")
)

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// Store is the users file.
type Store struct {
	path    string
	backend Backend // the fleet's store; nil keeps path
	rev     int64   // the backend's revision of users
	mu      sync.Mutex
	users   []record
	dummy   string // a hash to check unknown names against, for even timing
}

// Open reads the users file at path (none yet: no users).
func Open(path string) (*Store, error) {
	s := &Store{path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("users: %w", err)
	default:
		if s.users, err = parseUsers(b); err != nil {
			return nil, fmt.Errorf("users: %s: %w", path, err)
		}
	}
	if s.dummy, err = hashPassword("not a password of anyone's"); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseGroup checks a group's name.
func ParseGroup(s string) (Group, error) {
	switch g := Group(s); g {
	case Full, Read:
		return g, nil
	}
	return "", fmt.Errorf("group %q: want full or read", s)
}

func checkNew(name, password string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("name %q: 1 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter or digit", name)
	}
	return checkPasswordRules(password)
}

func checkPasswordRules(password string) error {
	if n := len([]rune(password)); n < MinPassword || len(password) > MaxPassword {
		return fmt.Errorf("password: %d to %d characters", MinPassword, MaxPassword)
	}
	return nil
}

// Add creates a user.
func (s *Store) Add(name string, group Group, password string) error {
	if err := checkNew(name, password); err != nil {
		return err
	}
	if _, err := ParseGroup(string(group)); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(name) >= 0 {
		return fmt.Errorf("user %s: %w", name, ErrExists)
	}
	if len(s.users) >= MaxUsers {
		return fmt.Errorf("at most %d users", MaxUsers)
	}
	users := append(slices.Clone(s.users), record{User: User{Name: name, Group: group, Created: time.Now().UTC().Truncate(time.Second)}, Hash: hash})
	return s.save(users)
}

// Set changes a user's group, password or both ("" leaves either).
func (s *Store) Set(name string, group Group, password string) error {
	if group != "" {
		if _, err := ParseGroup(string(group)); err != nil {
			return err
		}
	}
	var hash string
	if password != "" {
		if err := checkPasswordRules(password); err != nil {
			return err
		}
		var err error
		if hash, err = hashPassword(password); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(name)
	if i < 0 {
		return fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	users := slices.Clone(s.users)
	if group != "" {
		if group == Read && users[i].Group == Full && s.fullCount() == 1 {
			return ErrLastFull
		}
		users[i].Group = group
	}
	if hash != "" {
		users[i].Hash = hash
	}
	return s.save(users)
}

// Remove deletes a user.
func (s *Store) Remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(name)
	if i < 0 {
		return fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	if s.users[i].Group == Full && s.fullCount() == 1 && len(s.users) > 1 {
		return ErrLastFull
	}
	return s.save(slices.Delete(slices.Clone(s.users), i, i+1))
}

// List returns the users, by name.
func (s *Store) List() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.users))
	for i, u := range s.users {
		out[i] = u.User
	}
	slices.SortFunc(out, func(a, b User) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns a user by name.
func (s *Store) Lookup(name string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(name); i >= 0 {
		return s.users[i].User, true
	}
	return User{}, false
}

// Verify checks a name and password. An unknown name costs a hash all the
// same, so that timing does not tell which names exist.
func (s *Store) Verify(name, password string) (User, bool) {
	s.mu.Lock()
	i := s.find(name)
	hash, u := s.dummy, User{}
	if i >= 0 {
		hash, u = s.users[i].Hash, s.users[i].User
	}
	s.mu.Unlock()
	if len(password) > MaxPassword {
		password = password[:MaxPassword]
		i = -1
	}
	ok, err := checkPassword(hash, password)
	if err != nil || !ok || i < 0 {
		return User{}, false
	}
	return u, true
}

func (s *Store) find(name string) int {
	return slices.IndexFunc(s.users, func(u record) bool { return u.Name == name })
}

func (s *Store) fullCount() int {
	n := 0
	for _, u := range s.users {
		if u.Group == Full {
			n++
		}
	}
	return n
}

// Backend keeps the users where every manager of a fleet finds them (the
// fleet store): Save commits data if the stored revision is still base,
// else fails with a conflict and writes nothing.
type Backend interface {
	Save(data []byte, base int64) (int64, error)
}

// Shared returns the users kept in b, data being what b holds at rev (nil
// for none); changes other managers commit arrive through Replace.
func Shared(b Backend, data []byte, rev int64) (*Store, error) {
	s := &Store{backend: b, rev: rev}
	if data != nil {
		users, err := parseUsers(data)
		if err != nil {
			return nil, fmt.Errorf("users of revision %d: %w", rev, err)
		}
		s.users = users
	}
	var err error
	if s.dummy, err = hashPassword("not a password of anyone's"); err != nil {
		return nil, err
	}
	return s, nil
}

// Replace installs the users another manager committed at rev.
func (s *Store) Replace(data []byte, rev int64) error {
	users, err := parseUsers(data)
	if err != nil {
		return fmt.Errorf("users of revision %d: %w", rev, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev > s.rev {
		s.users, s.rev = users, rev
	}
	return nil
}

// Marshal is the users as the file and the fleet store hold them.
func (s *Store) Marshal() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return marshalUsers(s.users)
}

func marshalUsers(users []record) ([]byte, error) {
	return json.MarshalIndent(struct {
		Users []record `json:"users"`
	}{users}, "", "  ")
}

func parseUsers(b []byte) ([]record, error) {
	var f struct {
		Users []record `json:"users"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	for _, u := range f.Users {
		if !validName.MatchString(u.Name) || (u.Group != Full && u.Group != Read) {
			return nil, fmt.Errorf("bad user %q", u.Name)
		}
	}
	return f.Users, nil
}

// save writes users and, once written, keeps them; s.mu is held.
func (s *Store) save(users []record) error {
	b, err := marshalUsers(users)
	if err != nil {
		return err
	}
	if s.backend != nil {
		rev, err := s.backend.Save(b, s.rev)
		if err != nil {
			return fmt.Errorf("users: %w", err)
		}
		s.users, s.rev = users, max(s.rev, rev)
		return nil
	}
	if err := pki.WriteFileAtomic(s.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	s.users = users
	return nil
}
