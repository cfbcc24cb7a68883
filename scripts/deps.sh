#!/usr/bin/env bash
# Installs on Debian 12 what capstan's build and tests need. Idempotent: it
# touches apt only when a package is missing and go-installs a tool only when
# the pinned version is not already there. Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

GO_VERSION=1.26.8            # bootstrap Go, from the Go module proxy if missing
export GOTOOLCHAIN=go1.27.3  # what go.mod needs; the go command fetches it from the proxy
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018 # golang.org/x/vulndb: govulncheck's offline database
STATICCHECK_VERSION=v0.8.2   # honnef.co/go/tools (staticcheck 2026.2.2)
GOVULNCHECK_VERSION=v1.9.0   # golang.org/x/vuln

log() { printf 'deps: %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
# qemu-system-* boot the board tests; ipxe-qemu has malta's pcnet option ROM;
# cpio and kmod (depmod) build the board images; freeradius answers the
# access list's query-radius in a namespace test (its own service is
# stopped and disabled: tests run it with their own configuration);
# certmonger (run privately on a dbus-run-session bus) and scep are the
# outside SCEP clients of the interop tests; dpkg-dev, lintian and systemd
# build and check the Debian package (systemd-analyze verify), which a test
# installs with dpkg; busybox (udhcpc), iperf3 and ethtool play the client of
# a manager-forwarded WLAN in a namespace test; chromium runs the web
# console in the browser test (driven by chromedp over DevTools); etcd-server
# is the fleet store of several managers in the etcd tests (which start their
# own members; the packaged service is stopped and disabled like freeradius).
# libdeflate-tools' libdeflate-gzip -12 compresses the .ipk's data (5 % smaller
# than compress/gzip).
pkgs=(ca-certificates curl unzip git make gcc libc6-dev tshark iproute2 dnsmasq-base nftables bc scep openssl
	qemu-system-mips qemu-system-arm ipxe-qemu cpio kmod freeradius certmonger dbus dpkg-dev lintian systemd
	busybox iperf3 ethtool chromium etcd-server libdeflate-tools)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		log "missing Debian packages (${missing[*]}); run as root: apt-get install ${missing[*]}"
		exit 1
	fi
	log "apt-get install ${missing[*]}"
	# tshark asks whether non-root users may capture; answer no, non-interactively.
	echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	for svc in freeradius etcd; do
		pkg=$svc; [[ $svc == etcd ]] && pkg=etcd-server
		if [[ " ${missing[*]} " == *" $pkg "* ]]; then
			systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
		fi
	done
fi

# --- Go toolchain ------------------------------------------------------------
export PATH=/usr/local/go/bin:$PATH
have_go() {
	command -v go >/dev/null || return 1
	local v; v=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null) || return 1
	v=${v#go}
	[[ $(printf '%s\n%s\n' "$GO_VERSION" "$v" | sort -V | head -1) == "$GO_VERSION" ]]
}
if ! have_go; then
	bash scripts/install-go.sh "$GO_VERSION"
fi

# --- Go tools ----------------------------------------------------------------
gobin=$(go env GOPATH)/bin
tool_version() { go version -m "$1" 2>/dev/null | awk '$1=="mod"{print $3}'; }
built_with() { go version "$1" 2>/dev/null | awk '{print $2}'; }
install_tool() { # binary module-path version
	# Rebuilt when built by another Go: analysers must know go.mod's version.
	if [[ -x $gobin/$1 && $(tool_version "$gobin/$1") == "$3" && $(built_with "$gobin/$1") == "$GOTOOLCHAIN" ]]; then return; fi
	log "go install $2@$3"
	GOFLAGS= go install "$2@$3"
}
install_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION"
install_tool govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION"
# --- govulncheck's database --------------------------------------------------
# vuln.go.dev is out of reach here; the module proxy serves golang.org/x/vulndb,
# whose data/osv holds every report. Its own indexdb writes them in the layout
# `govulncheck -db file://…` reads, into build/vulndb (a stamp keeps the version).
vulndb=build/vulndb
if [[ $(cat "$vulndb/.version" 2>/dev/null) != "$VULNDB_VERSION" ]]; then
	log "govulncheck database from golang.org/x/vulndb@$VULNDB_VERSION"
	src=$(GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d $src/data/osv ]] || { log "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv"; exit 1; }
	rm -rf "$vulndb.new"
	GOFLAGS= go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$vulndb.new"
	echo "$VULNDB_VERSION" >"$vulndb.new/.version"
	rm -rf "$vulndb"
	mv "$vulndb.new" "$vulndb"
fi
log "ok: $(go version), staticcheck $STATICCHECK_VERSION, govulncheck $GOVULNCHECK_VERSION (database of $(ls "$vulndb/ID" | grep -c "json$") reports), $(tshark --version 2>/dev/null | head -1 | cut -d' ' -f1-3)"
