#!/usr/bin/env bash
# make demo: a manager with its embedded defaults and a handful of simulated
# CAPs (capstan-agent --hal sim) on loopback, joined and listed.
#   CAPS=N        how many CAPs (default 4)
#   DEMO_PORT=P   the manager's UDP control port (default 5246; data uses P+1)
#   DEMO_HOLD=1   keep everything running until Ctrl-C
set -euo pipefail
caps=${CAPS:-4}
port=${DEMO_PORT:-5246}
bin=${BIN:-bin}
work=$(mktemp -d /tmp/capstan-demo.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== manager: $bin/capstan-manager serve --state-dir $work/manager --listen 127.0.0.1:$port --name demo --ssid capstan-demo"
echo "   (a demo: --ssid opts into automatic adoption, --enrollment auto: every CAP that asks gets a certificate and the passphrases)"
"$bin/capstan-manager" serve --state-dir "$work/manager" --listen "127.0.0.1:$port" --name demo --ssid capstan-demo 2>"$work/manager.log" &
pids+=($!)
for _ in $(seq 50); do [[ -s $work/manager/api-address ]] && break; sleep 0.1; done
if [[ ! -s $work/manager/api-address ]]; then
	echo "manager did not start:"; cat "$work/manager.log"; exit 1
fi

start=$(date +%s.%N)
for i in $(seq "$caps"); do
	mac=$(printf '02:ca:57:00:%02x:00' "$i")
	echo "== CAP $i: $bin/capstan-agent run --hal sim --manager_addresses 127.0.0.1:$port --identity demo-cap$i --base_mac $mac"
	"$bin/capstan-agent" run --hal sim --manager_addresses "127.0.0.1:$port" \
		--identity "demo-cap$i" --base_mac "$mac" --run-dir "$work/cap$i" --state-dir "$work/cap$i" \
		2>"$work/cap$i.log" &
	pids+=($!)
done

for _ in $(seq 200); do
	running=$("$bin/capstan-manager" remote-cap print --json --state-dir "$work/manager" | grep -c '"state": "run"' || true)
	[[ $running -eq $caps ]] && break
	sleep 0.1
done
took=$(echo "$(date +%s.%N) - $start" | bc)
echo
echo "== capstan-manager remote-cap print ($running of $caps CAPs in run, ${took}s after the agents started)"
"$bin/capstan-manager" remote-cap print --state-dir "$work/manager"
echo
echo "== capstan-agent status --run-dir $work/cap1"
"$bin/capstan-agent" status --run-dir "$work/cap1"
if [[ $running -ne $caps ]]; then
	echo "not every CAP reached run; logs:"; tail -n 20 "$work"/*.log; exit 1
fi
if [[ ${DEMO_HOLD:-0} == 1 ]]; then
	echo; echo "running; Ctrl-C stops the demo (state in $work)"
	wait
fi
