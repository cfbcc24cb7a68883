#!/bin/busybox sh
# /init of a capstan QEMU test board (scripts/board-image.sh puts it there).
# Loads the Wi-Fi modules with mac80211_hwsim radios, brings eth0 up with the
# address from the kernel command line, and leaves a shell on the console for
# the board test to drive:
#   capstan.ip=ADDR/LEN   eth0's address
#   capstan.radios=N      mac80211_hwsim radios (default 2)
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /var/run/capstan

ip= radios=2
for arg in $(cat /proc/cmdline); do
	case $arg in
	capstan.ip=*) ip=${arg#capstan.ip=} ;;
	capstan.radios=*) radios=${arg#capstan.radios=} ;;
	esac
done

for m in $(cat /etc/capstan-modules); do
	case $m in
	mac80211_hwsim.ko) insmod /lib/capstan-modules/$m radios=$radios ;;
	*) insmod /lib/capstan-modules/$m ;;
	esac || echo "capstan-board: insmod $m failed"
done

ip link set lo up
if [ -n "$ip" ]; then
	ip addr add "$ip" dev eth0
	ip link set eth0 up
fi
echo "capstan-board: ready $(uname -m) $(uname -r)"
exec setsid cttyhack sh
