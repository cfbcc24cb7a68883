#!/usr/bin/env bash
# Installs Go VERSION into /usr/local/go from the Go module proxy's
# golang.org/toolchain module (the same archive GOTOOLCHAIN=auto fetches), so a
# fresh Debian 12 machine needs nothing but apt and the module proxy.
set -euo pipefail
version=${1:?usage: install-go.sh VERSION}
case $(uname -m) in
x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; armv7l) arch=armv6l ;; *) echo "install-go: unsupported $(uname -m)" >&2; exit 1 ;;
esac
proxy=${GOPROXY:-https://proxy.golang.org}
proxy=${proxy%%[,|]*}
[[ $proxy == direct || $proxy == off ]] && proxy=https://proxy.golang.org
mod="v0.0.1-go${version}.linux-${arch}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "install-go: fetching golang.org/toolchain@${mod}"
curl -fsSL -o "$tmp/go.zip" "${proxy}/golang.org/toolchain/@v/${mod}.zip"
unzip -q "$tmp/go.zip" -d "$tmp/x"
rm -rf /usr/local/go.new
mv "$tmp/x/golang.org/toolchain@${mod}" /usr/local/go.new
chmod -R a+rX /usr/local/go.new
chmod +x /usr/local/go.new/bin/* /usr/local/go.new/pkg/tool/*/* 2>/dev/null || true
rm -rf /usr/local/go
mv /usr/local/go.new /usr/local/go
/usr/local/go/bin/go version
