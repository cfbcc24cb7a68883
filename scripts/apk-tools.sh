#!/bin/bash
# apk-tools.sh SRC OUT: build apk-tools' apk (apk v3, the package manager
# of OpenWrt 25.12 and later) from a checkout of
# gitlab.alpinelinux.org/alpine/apk-tools (or its GitHub mirror
# alpinelinux/apk-tools) into OUT/apk, configured as OpenWrt configures its
# host build: OpenSSL, no zstd, no Lua, no documentation.
#
# `make packages APK=OUT/apk` then also writes each package as .apk, with
# that binary's `apk mkpkg`, and `make test-openwrt` installs, upgrades and
# removes them with it (CAPSTAN_APK=OUT/apk). Needs meson, ninja-build,
# pkg-config, libssl-dev and zlib1g-dev. Not part of `make test`: the
# source is neither in Debian 12 nor on the Go module proxy.
set -euo pipefail
src=$(realpath "$1")
out=$(realpath -m "$2")
rm -rf "$out"
mkdir -p "$out"
meson setup "$out/build" "$src" -Dlua=disabled -Dhelp=disabled -Ddocs=disabled -Dpython=disabled \
	-Dtests=disabled -Dzstd=disabled -Ddefault_library=static >"$out/meson.log" || {
	echo "apk-tools: meson failed; see $out/meson.log" >&2
	exit 1
}
ninja -C "$out/build" src/apk >"$out/ninja.log" || {
	echo "apk-tools: build failed; see $out/ninja.log" >&2
	exit 1
}
cp "$out/build/src/apk" "$out/apk"
echo "apk-tools: $("$out/apk" --version) ($(git -C "$src" describe --tags 2>/dev/null || echo unknown)): $out/apk"
