#!/usr/bin/env bash
# Builds dist/capstan-manager_<version>_<arch>.deb (amd64 or arm64): the
# manager with a hardened systemd unit (packaging/debian). Reproducible:
# every time is SOURCE_DATE_EPOCH (default: the last commit's).
#   scripts/deb.sh amd64 [version]
set -euo pipefail
arch=${1:?usage: deb.sh amd64|arm64 [version]}
case "$arch" in amd64|arm64) ;; *) echo "deb.sh: $arch: want amd64 or arm64" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
commit=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
# Debian versions start with a digit: 0~<commit date>.<commit>.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
version=${2:-0~$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S).${commit//[^A-Za-z0-9.+~]/.}}
root=${DEB_ROOT:-build/deb/$arch}
rm -rf "$root"
install -d "$root/DEBIAN" "$root/usr/sbin" "$root/lib/systemd/system" "$root/etc/default" \
	"$root/usr/share/doc/capstan-manager" "$root/usr/share/man/man8" "$root/usr/share/lintian/overrides"
CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath \
	-ldflags "-s -w -X github.com/capstan-wifi/capstan/internal/buildinfo.Version=$commit" \
	-o "$root/usr/sbin/capstan-manager" ./cmd/capstan-manager
install -m 0644 packaging/debian/capstan-manager.service "$root/lib/systemd/system/"
install -m 0644 packaging/debian/default "$root/etc/default/capstan-manager"
install -m 0644 packaging/debian/copyright "$root/usr/share/doc/capstan-manager/copyright"
install -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/capstan-manager"
gzip -9n < packaging/debian/capstan-manager.8 > "$root/usr/share/man/man8/capstan-manager.8.gz"
printf 'capstan-manager (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- capstan developers <capstan@example.org>  %s\n' \
	"$version" "$commit" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")" | gzip -9n > "$root/usr/share/doc/capstan-manager/changelog.gz"
for s in postinst prerm postrm; do install -m 0755 "packaging/debian/$s" "$root/DEBIAN/$s"; done
echo /etc/default/capstan-manager > "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: capstan-manager
Version: $version
Architecture: $arch
Maintainer: capstan developers <capstan@example.org>
Installed-Size: $size
Depends: init-system-helpers (>= 1.54~)
Section: net
Priority: optional
Homepage: https://github.com/capstan-wifi/capstan
Description: CAPWAP controller for OpenWrt access points
 capstan-manager provisions capstan CAPs (OpenWrt access points running
 capstan-agent) over CAPWAP and DTLS from rules and profiles, runs their
 PKI and adoption, and serves a REST API and a CLI.
CONTROL
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dist=${DIST:-dist}
mkdir -p "$dist"
dpkg-deb --root-owner-group -Zxz --build "$root" "$dist/capstan-manager_${version}_${arch}.deb" >/dev/null
echo "$dist/capstan-manager_${version}_${arch}.deb"
