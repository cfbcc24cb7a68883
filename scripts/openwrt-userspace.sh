#!/bin/bash
# openwrt-userspace.sh SRC OUT: build OpenWrt's own userspace for this
# machine (x86_64 Debian) from source and lay it out as a root in OUT, for
# tests/openwrt_userspace_test.go (CAPSTAN_OPENWRT_ROOT=OUT).
#
# SRC holds checkouts of git.openwrt.org's (or github.com/openwrt's)
# libubox, ubus, uci, udebug, procd, ubox (logd, logread) and netifd, of ucode
# (github.com/jow-/ucode), and a checkout of openwrt/openwrt
# (a sparse one with package/base-files and package/system is enough) for
# the shell API: rc.common, functions.sh, procd.sh, uci.sh. jshn.sh comes
# from libubox. Needs cmake, gcc, libjson-c-dev and Debian's busybox.
# Not part of `make test`: CI has no network for these sources.
set -euo pipefail
src=$(realpath "$1")
out=$(realpath -m "$2")
build=$out.build
prefix=$build/prefix
rm -rf "$out" "$build"
mkdir -p "$build" "$prefix"

# glibc 2.36 has no strlcpy; procd uses it.
cat > "$build/strlcpy.c" <<'EOF'
#include <string.h>
size_t strlcpy(char *d, const char *s, size_t n)
{
	size_t l = strlen(s);
	if (n) {
		size_t c = l < n - 1 ? l : n - 1;
		memcpy(d, s, c);
		d[c] = 0;
	}
	return l;
}
EOF
gcc -c -O2 -fPIC "$build/strlcpy.c" -o "$build/strlcpy.o"

cmake_build() { # name source target
	local name=$1 dir=$2 target=$3
	mkdir -p "$build/$name"
	(cd "$build/$name" && cmake "$dir" -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_PREFIX_PATH="$prefix" \
		-DBUILD_LUA=OFF -DBUILD_EXAMPLES=OFF -DBUILD_STATIC=OFF \
		-DCMAKE_C_FLAGS="-Wno-error -I$prefix/include" \
		-DCMAKE_EXE_LINKER_FLAGS="-L$prefix/lib $build/strlcpy.o" \
		-DCMAKE_SHARED_LINKER_FLAGS="-L$prefix/lib" >cmake.log &&
		make -j"$(nproc)" $target >make.log) || {
		echo "openwrt-userspace: $name failed; see $build/$name/*.log" >&2
		exit 1
	}
}
for r in libubox ubus uci; do
	cmake_build $r "$src/$r" all
	make -C "$build/$r" install >/dev/null
done
# libudebug only: its daemon and ucode module are not needed.
gcc -O2 -fPIC -shared -std=gnu99 -I"$prefix/include" -o "$prefix/lib/libudebug.so" \
	"$src/udebug/lib.c" "$src/udebug/lib-pcap.c" -L"$prefix/lib" -lubox -lubus
cp "$src/udebug/udebug.h" "$prefix/include/"
# procd's -Werror trips over GCC 12's format-overflow check: build a copy
# without it. Only the procd binary: it runs as a service manager, not as
# PID 1 (procd -s SOCKET).
cp -a "$src/procd" "$build/procd-src"
sed -i 's/-Wall -Werror/-Wall/' "$build/procd-src/CMakeLists.txt"
cmake_build procd "$build/procd-src" procd
# logd and logread from ubox: the log daemon procd's services write to
# (through /dev/log) and its reader. -Werror and GCC 12 disagree.
cp -a "$src/ubox" "$build/ubox-src"
sed -i 's/-Wall -Werror/-Wall/' "$build/ubox-src/CMakeLists.txt"
cmake_build ubox "$build/ubox-src" "logd logread"
# ucode for netifd, without its optional modules.
mkdir -p "$build/ucode"
(cd "$build/ucode" && cmake "$src/ucode" -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_C_FLAGS="-Wno-error" \
	-DUBUS_SUPPORT=OFF -DUCI_SUPPORT=OFF -DULOOP_SUPPORT=OFF -DRTNL_SUPPORT=OFF -DNL80211_SUPPORT=OFF \
	-DRESOLV_SUPPORT=OFF -DSTRUCT_SUPPORT=OFF -DDEBUG_SUPPORT=OFF -DLOG_SUPPORT=OFF -DSOCKET_SUPPORT=OFF \
	-DZLIB_SUPPORT=OFF -DDIGEST_SUPPORT=OFF >cmake.log && make -j"$(nproc)" >make.log && make install >>make.log) || {
	echo "openwrt-userspace: ucode failed; see $build/ucode/*.log" >&2
	exit 1
}
# netifd in its DUMMY_MODE: the ubus API, config parsing and interface
# state, printing instead of touching this machine's links. It builds in
# its source tree (a generated header); -Werror and GCC 12 disagree.
cp -a "$src/netifd" "$build/netifd-src"
sed -i 's/ADD_DEFINITIONS(-Wall -Werror)/ADD_DEFINITIONS(-Wall)/' "$build/netifd-src/CMakeLists.txt"
(cd "$build/netifd-src" && cmake . -DCMAKE_PREFIX_PATH="$prefix" -DDUMMY_MODE=1 \
	-DCMAKE_C_FLAGS="-Wno-error -D_GNU_SOURCE -I$prefix/include" \
	-DCMAKE_EXE_LINKER_FLAGS="-L$prefix/lib $build/strlcpy.o" >cmake.log && make -j"$(nproc)" >make.log) || {
	echo "openwrt-userspace: netifd failed; see $build/netifd-src/*.log" >&2
	exit 1
}

mkdir -p "$out"/{bin,sbin,usr/bin,usr/sbin,lib/netifd,lib/functions,lib/config,lib/x86_64-linux-gnu,lib64,etc/config,etc/init.d,etc/rc.d,etc/uci-defaults,usr/share/libubox,usr/lib/opkg/info,var/lock,var/run,tmp,proc,dev,root}
cp /bin/busybox "$out/bin/"
for a in $(busybox --list); do [ -e "$out/bin/$a" ] || ln -s busybox "$out/bin/$a"; done
cp "$prefix/sbin/ubusd" "$build/procd/procd" "$build/netifd-src/netifd" "$build/ubox/logd" "$build/ubox/logread" "$out/sbin/"
cp "$prefix/bin/ubus" "$out/bin/"
cp "$prefix/bin/uci" "$out/sbin/uci"
cp "$prefix/bin/jshn" "$out/usr/bin/"
cp /usr/bin/flock "$out/usr/bin/"
cp -a "$prefix"/lib/*.so* "$out/lib/x86_64-linux-gnu/"
for b in /bin/busybox /usr/bin/flock "$prefix/sbin/ubusd" "$build/procd/procd" "$build/netifd-src/netifd" "$build/ubox/logd" "$build/ubox/logread" "$prefix/bin/ubus" "$prefix/bin/uci" "$prefix/bin/jshn"; do
	LD_LIBRARY_PATH=$prefix/lib ldd "$b" | grep -o '/[^ ]*' | grep -v "^$build"
done | sort -u | while read -r l; do
	mkdir -p "$out$(dirname "$l")"
	cp -L "$l" "$out$l"
done

ow=$src/openwrt
cp "$ow/package/base-files/files/etc/rc.common" "$out/etc/"
cp "$ow/package/base-files/files/lib/functions.sh" "$out/lib/"
cp "$ow/package/base-files/files/lib/functions/service.sh" "$out/lib/functions/"
cp "$ow/package/system/procd/files/procd.sh" "$out/lib/functions/"
cp "$ow/package/system/uci/files/lib/config/uci.sh" "$out/lib/config/"
cp "$src/libubox/sh/jshn.sh" "$out/usr/share/libubox/"
printf 'root:x:0:0:root:/root:/bin/ash\nnobody:*:65534:65534:nobody:/var:/bin/false\n' >"$out/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$out/etc/group"
touch "$out/etc/openwrt_release"
{
	for r in libubox ubus uci udebug procd ubox ucode netifd openwrt; do
		printf '%s %s\n' "$r" "$(git -C "$src/$r" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	done
} >"$out/etc/capstan-userspace-sources"
echo "openwrt-userspace: $out"
