#!/usr/bin/env bash
# Installs on Debian 12 what capstan's build and tests need. Idempotent: it
# touches apt only when a package is missing and go-installs a tool only when
# the pinned version is not already there. Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

GO_VERSION=1.26.8            # toolchain, from the Go module proxy if missing
STATICCHECK_VERSION=v0.8.2   # honnef.co/go/tools (staticcheck 2026.2.2)
GOVULNCHECK_VERSION=v1.9.0   # golang.org/x/vuln

log() { printf 'deps: %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------
# qemu-system-* boot the board tests; ipxe-qemu has malta's pcnet option ROM;
# cpio and kmod (depmod) build the board images; freeradius answers the
# access list's query-radius in a namespace test (its own service is
# stopped and disabled: tests run it with their own configuration).
pkgs=(ca-certificates curl unzip git make gcc libc6-dev tshark iproute2 dnsmasq-base nftables bc scep openssl
	qemu-system-mips qemu-system-arm ipxe-qemu cpio kmod freeradius)
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
	if [[ " ${missing[*]} " == *" freeradius "* ]]; then
		systemctl disable --now freeradius >/dev/null 2>&1 || service freeradius stop >/dev/null 2>&1 || true
	fi
fi

# --- Go toolchain ------------------------------------------------------------
export PATH=/usr/local/go/bin:$PATH
have_go() {
	command -v go >/dev/null || return 1
	local v; v=$(go env GOVERSION 2>/dev/null) || return 1
	v=${v#go}
	[[ $(printf '%s\n%s\n' "$GO_VERSION" "$v" | sort -V | head -1) == "$GO_VERSION" ]]
}
if ! have_go; then
	bash scripts/install-go.sh "$GO_VERSION"
fi

# --- Go tools ----------------------------------------------------------------
gobin=$(go env GOPATH)/bin
tool_version() { go version -m "$1" 2>/dev/null | awk '$1=="mod"{print $3}'; }
install_tool() { # binary module-path version
	if [[ -x $gobin/$1 && $(tool_version "$gobin/$1") == "$3" ]]; then return; fi
	log "go install $2@$3"
	GOFLAGS= go install "$2@$3"
}
install_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION"
install_tool govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION"
log "ok: $(go version), staticcheck $STATICCHECK_VERSION, govulncheck $GOVULNCHECK_VERSION, $(tshark --version 2>/dev/null | head -1 | cut -d' ' -f1-3)"
