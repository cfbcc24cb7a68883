#!/usr/bin/env bash
# Builds the base image of one QEMU test board from Debian 12 packages:
#   build/board/<board>/kernel      the Debian 6.1 kernel for the board
#   build/board/<board>/base.cpio   initramfs: busybox, hostapd, wpa_supplicant,
#                                   iw, their libraries, the Wi-Fi modules
#                                   (mac80211_hwsim) and /init
# The board test appends a second cpio archive with capstan-agent and its
# settings (the kernel unpacks concatenated archives in order).
#
# Usage: scripts/board-image.sh malta|arm64
# Needs: apt-get (root, for dpkg --add-architecture), dpkg-deb, cpio, depmod, readelf.
set -euo pipefail
cd "$(dirname "$0")/.."

board=${1:?usage: board-image.sh malta|arm64}
case $board in
malta) arch=mipsel kflavour=4kc-malta netmods=(pcnet32) ;;
arm64) arch=arm64 kflavour=arm64 netmods=(virtio_mmio virtio_net) ;;
*) echo "board-image: unknown board $board (want malta or arm64)" >&2; exit 2 ;;
esac

out=build/board/$board
stamp=$out/.complete
version=3 # bump when the image's contents change
if [[ -f $stamp && $(cat "$stamp") == "$version" ]]; then
	exit 0
fi
log() { printf 'board-image %s: %s\n' "$board" "$*"; }

if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	log "dpkg --add-architecture $arch"
	dpkg --add-architecture "$arch"
	apt-get update -qq
fi

# The kernel package: linux-image-<flavour> depends on the current ABI.
kpkg=$(apt-cache depends "linux-image-$kflavour:$arch" | awk '/Depends: linux-image-6/{print $2; exit}')
kpkg=${kpkg%%:*}
[[ -n $kpkg ]] || { echo "board-image: cannot resolve linux-image-$kflavour:$arch" >&2; exit 1; }
kver=${kpkg#linux-image-}

# Userland and the shared-library closure of hostapd, wpa_supplicant and iw
# (checked below with readelf, since ldd cannot read foreign binaries).
userland=(busybox-static hostapd wpasupplicant iw libc6 libnl-3-200 libnl-genl-3-200
	libnl-route-3-200 libssl3 libdbus-1-3 libpcsclite1 libreadline8 libtinfo6 libsystemd0
	libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1 libatomic1)
# Architecture-independent: the regulatory database cfg80211 loads as firmware.
common=(wireless-regdb)

dl=build/board/cache/$arch
mkdir -p "$dl"
want=("$kpkg:$arch")
for p in "${userland[@]}"; do want+=("$p:$arch"); done
missing=()
for p in "${want[@]}"; do
	compgen -G "$dl/${p%%:*}_*_$arch.deb" >/dev/null || missing+=("$p")
done
for p in "${common[@]}"; do
	compgen -G "$dl/${p}_*_all.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
	log "apt-get download ${#missing[@]} packages"
	(cd "$dl" && apt-get download -qq "${missing[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
kroot=$stage/kernel root=$stage/root
mkdir -p "$kroot" "$root"
dpkg-deb -x "$(compgen -G "$dl/${kpkg}_*_$arch.deb")" "$kroot"
for p in "${userland[@]}"; do
	dpkg-deb -x "$(compgen -G "$dl/${p}_*_$arch.deb")" "$root"
done
for p in "${common[@]}"; do
	dpkg-deb -x "$(compgen -G "$dl/${p}_*_all.deb")" "$root"
done
# cfg80211 loads /lib/firmware/regulatory.db and checks its .p7s against the
# keys built into Debian's kernel; dpkg's alternatives would pick the Debian
# build, so do the same here.
cp "$root/lib/firmware/regulatory.db-debian" "$root/lib/firmware/regulatory.db"
cp "$root/lib/firmware/regulatory.db.p7s-debian" "$root/lib/firmware/regulatory.db.p7s"
rm -rf "$root"/usr/share "$root"/etc/init.d "$root"/lib/systemd "$root"/usr/lib/systemd "$root"/usr/lib/*/gconv "$root"/usr/lib/*/engines-3 "$root"/usr/lib/*/ossl-modules "$root"/usr/bin/c_rehash "$root"/usr/bin/openssl

# Every NEEDED library of the programs and of the libraries must be in the image.
for bin in usr/sbin/hostapd sbin/wpa_supplicant sbin/wpa_cli usr/sbin/hostapd_cli sbin/iw $(cd "$root" && find lib usr/lib -name '*.so*' -type f); do
	for lib in $(readelf -d "$root/$bin" | awk -F'[][]' '/NEEDED/{print $2}'); do
		compgen -G "$root/lib/*/$lib" >/dev/null || compgen -G "$root/usr/lib/*/$lib" >/dev/null ||
			{ echo "board-image: $bin needs $lib, which no package in the list provides" >&2; exit 1; }
	done
done

# Kernel modules: the closure of what the board needs, in load order.
mods=(rfkill cfg80211 mac80211 mac80211_hwsim ctr ccm gcm gf128mul ghash-generic cmac bridge 8021q "${netmods[@]}")
kmod=lib/modules/$kver
depmod -b "$kroot" "$kver"
declare -A seen=()
order=()
visit() { # module path relative to $kmod
	local m=$1 deps
	[[ -n ${seen[$m]:-} ]] && return
	seen[$m]=1
	deps=$(awk -v m="$m:" '$1==m{$1=""; print}' "$kroot/$kmod/modules.dep")
	for d in $deps; do visit "$d"; done
	order+=("$m")
}
for name in "${mods[@]}"; do
	path=$(awk -F: -v n="/$name.ko" 'index($1, n) && substr($1, length($1)-length(n)+1) == n {print $1; exit}' "$kroot/$kmod/modules.dep")
	if [[ -z $path ]]; then
		# Built into this kernel: nothing to load.
		grep -q "/$name.ko" "$kroot/$kmod/modules.builtin" && continue
		echo "board-image: module $name not found in $kver" >&2; exit 1
	fi
	visit "$path"
done
mkdir -p "$root/lib/capstan-modules"
: >"$root/etc/capstan-modules"
for m in "${order[@]}"; do
	cp "$kroot/$kmod/$m" "$root/lib/capstan-modules/"
	echo "$(basename "$m")" >>"$root/etc/capstan-modules"
done

install -m 0755 scripts/board-init.sh "$root/init"
mkdir -p "$root"/{proc,sys,dev,tmp,run,var/run,etc/capstan,root}

mkdir -p "$out"
cp "$(compgen -G "$kroot/boot/vmlinu*")" "$out/kernel"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) >"$out/base.cpio"
echo "$version" >"$stamp"
log "kernel $kver, $(du -h "$out/base.cpio" | cut -f1) initramfs, modules: $(tr '\n' ' ' <"$root/etc/capstan-modules")"
