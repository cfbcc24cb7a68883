package apk

import (
	"fmt"
	"regexp"
	"time"
)

var (
	// apk-package(5): number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}.
	apkVersionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(~[0-9a-f]+)?(-r[0-9]+)?$`)
	// `git describe --tags --always --dirty` past a tag vX.Y.Z.
	describeRE = regexp.MustCompile(`^v([0-9]+(?:\.[0-9]+)*)(?:-([0-9]+)-g([0-9a-f]+))?(-dirty)?$`)
	// The same with no tag: the abbreviated commit.
	commitRE = regexp.MustCompile(`^([0-9a-f]{7,40})(-dirty)?$`)
)

func validVersion(v string) bool { return apkVersionRE.MatchString(v) }

// Version is the apk version of a capstan version as the Makefile gives
// it (`git describe --tags --always --dirty`), keeping its order:
//
//	v1.2.3                 1.2.3-r0
//	v1.2.3-5-gabc1234      1.2.3_git5~abc1234-r0
//	abc1234 (no tag)       0_git20261205071500~abc1234-r0 (the commit's time, UTC)
//	...-dirty              _p1 before the hash: after the clean build
//
// A version already in apk's form is kept as it is.
func Version(v string, commitTime int64) (string, error) {
	if m := describeRE.FindStringSubmatch(v); m != nil {
		s := m[1]
		if m[2] != "" {
			s += "_git" + m[2]
		}
		return s + dirty(m[4]) + hash(m[3]) + "-r0", nil
	}
	if m := commitRE.FindStringSubmatch(v); m != nil {
		t := time.Unix(commitTime, 0).UTC().Format("20060102150405")
		return "0_git" + t + dirty(m[2]) + "~" + m[1] + "-r0", nil
	}
	if validVersion(v) {
		return v, nil
	}
	return "", fmt.Errorf("apk: version %q is neither git describe's (vX.Y.Z[-N-gHASH][-dirty], or a commit) nor apk's form", v)
}

func dirty(s string) string {
	if s != "" {
		return "_p1"
	}
	return ""
}

func hash(h string) string {
	if h != "" {
		return "~" + h
	}
	return ""
}
