# capstan — build, test and packaging entry points. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
MODULE    := github.com/capstan-wifi/capstan
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X $(MODULE)/internal/buildinfo.Version=$(VERSION)
BINARIES  := capstan-agent capstan-manager
# GOARCH[:variable=value] for every board we ship to.
CROSS     := mipsle:GOMIPS=softfloat mips:GOMIPS=softfloat arm:GOARM=7 arm64 amd64
# OpenWrt package architecture:GOARCH[:variable=value] for `make packages`.
OPENWRT   := mipsel_24kc:mipsle:GOMIPS=softfloat mips_24kc:mips:GOMIPS=softfloat \
             arm_cortex-a7_neon-vfpv4:arm:GOARM=7 aarch64_cortex-a53:arm64 x86_64:amd64
# The agent is built as packaging/agentbuild says (tags, experiment,
# inlining): one definition for the Makefile and the tests.
BUILDAGENT := $(GO) run ./packaging/buildagent
FUZZTIME  ?= 30s
GOBIN     := $(or $(shell cd / && GOTOOLCHAIN=local $(GO) env GOPATH 2>/dev/null),$(HOME)/go)/bin
export PATH := /usr/local/go/bin:$(GOBIN):$(PATH)
# go.mod needs Go 1.27; the go command fetches this toolchain from the
# module proxy (a machine with GOTOOLCHAIN=local would otherwise refuse).
export GOTOOLCHAIN := go1.27.3

.PHONY: help build cross packages size test test-unit test-netns test-board test-openwrt board-images fuzz lint deps bench clean demo

help: ## show the targets and what they do
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build host binaries into bin/
	@mkdir -p bin
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

demo: build ## the main job: a manager on embedded defaults and simulated CAPs on loopback, joined
	bash scripts/demo.sh

cross: ## build static, stripped agent and manager for every target into bin/linux-<goarch>/
	@for t in $(CROSS); do \
	  arch=$${t%%:*}; extra=$$( [[ $$t == *:* ]] && echo $${t#*:} || true ); \
	  echo "cross linux/$$arch $$extra"; \
	  env CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $$extra \
	    $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/linux-$$arch/ ./cmd/... ; \
	  $(BUILDAGENT) -o bin/linux-$$arch/capstan-agent -ldflags '$(LDFLAGS)' GOARCH=$$arch $$extra; \
	done

packages: ## build capstan-agent, capstan-agent-scep and capstan-manager .ipk packages (and .apk with APK=apk-tools' apk) for every OpenWrt architecture, and capstan-manager .deb for amd64 and arm64, into dist/
	@rm -f dist/*.ipk dist/*.apk dist/*.deb # this version's packages only
	@[ -n "$(APK)" ] || echo "packages: .ipk only; APK=path/to/apk (scripts/apk-tools.sh) also makes OpenWrt 25.12's .apk"
	@for t in $(OPENWRT); do \
	  owarch=$${t%%:*}; rest=$${t#*:}; goarch=$${rest%%:*}; extra=$$( [[ $$rest == *:* ]] && echo $${rest#*:} || true ); \
	  out=build/pkg/$$owarch; mkdir -p $$out; \
	  $(BUILDAGENT) -o $$out/capstan-agent -ldflags '$(LDFLAGS)' GOARCH=$$goarch $$extra; \
	  $(BUILDAGENT) -helper -o $$out/capstan-agent-scep -ldflags '$(LDFLAGS)' GOARCH=$$goarch $$extra; \
	  env CGO_ENABLED=0 GOOS=linux GOARCH=$$goarch $$extra $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$out/ ./cmd/capstan-manager; \
	  for p in capstan-agent capstan-agent-scep capstan-manager; do \
	    $(GO) run ./packaging/mkipk --package $$p --arch $$owarch --binary $$out/$$p --version $(VERSION) --out dist $(if $(APK),--apk $(realpath $(APK))); \
	  done; \
	done
	bash scripts/deb.sh amd64
	bash scripts/deb.sh arm64

size: packages ## print every package's size per architecture and the agent's ten largest Go packages (mipsel_24kc)
	@printf '%-32s %-16s %10s\n' arch package bytes
	@for f in dist/*_$(VERSION)_*.ipk dist/*_$(VERSION)_*.apk; do [ -e $$f ] || continue; b=$$(basename $${f%.*}); \
	  printf '%-32s %-16s %10d\n' "$${b#*_$(VERSION)_}$$( [[ $$f == *.apk ]] && echo ' (.apk)')" $${b%%_*} $$(stat -c %s $$f); done
	@for f in dist/capstan-manager_*.deb; do b=$$(basename $$f .deb); \
	  printf '%-32s %-16s %10d\n' "$${b##*_} (.deb)" capstan-manager $$(stat -c %s $$f); done
	@$(BUILDAGENT) -o build/pkg/capstan-agent.syms -ldflags '' GOARCH=mipsle GOMIPS=softfloat
	@echo "capstan-agent (mipsle), largest Go packages by symbol size:"
	@$(GO) run ./packaging/pkgsize -n 10 build/pkg/capstan-agent.syms

deps: ## install on Debian 12 what builds and tests need (idempotent)
	bash scripts/deps.sh

test: deps ## everything CI runs: lint, unit tests (tshark included), fuzz seeds, namespace and QEMU board tests
	$(MAKE) lint
	CAPSTAN_REQUIRE_TOOLS=1 $(MAKE) test-unit
	CAPSTAN_REQUIRE_TOOLS=1 $(MAKE) test-netns
	CAPSTAN_REQUIRE_TOOLS=1 $(MAKE) test-board

board-images: ## build the QEMU board images (Debian kernels, hostapd, wpa_supplicant) into build/board/
	bash scripts/board-image.sh malta
	bash scripts/board-image.sh arm64

test-board: board-images ## QEMU boards (malta mipsel, arm64 virt) with mac80211_hwsim, hostapd and a wpa_supplicant station (root)
	CAPSTAN_BOARD=1 $(GO) test -count=1 -v -timeout 15m -run '^TestBoard' ./tests/

test-netns: ## end-to-end tests in network namespaces, and the .deb installed with dpkg (root; dnsmasq, nftables, lintian)
	CAPSTAN_NETNS=1 $(GO) test -count=1 -v -run '^TestNetns' ./tests/

test-openwrt: ## the packages on OpenWrt's own procd, ubusd, uci and shell API, .ipk and (with APK) .apk (root; CAPSTAN_OPENWRT_ROOT from scripts/openwrt-userspace.sh, APK from scripts/apk-tools.sh; not in make test)
	@test -n "$(CAPSTAN_OPENWRT_ROOT)" || { echo "test-openwrt: set CAPSTAN_OPENWRT_ROOT to a root built by scripts/openwrt-userspace.sh SRC OUT"; exit 1; }
	@test -n "$(APK)" || { echo "test-openwrt: set APK to apk-tools' apk built by scripts/apk-tools.sh SRC OUT"; exit 1; }
	CAPSTAN_OPENWRT_ROOT=$(CAPSTAN_OPENWRT_ROOT) CAPSTAN_APK=$(realpath $(APK)) $(GO) test -count=1 -v -run '^TestOpenWrt(Userspace|Apk)$$' ./tests/

test-unit: ## fast hermetic tests (go test ./...), race detector on
	$(GO) test -race -count=1 ./...

fuzz: ## run every Fuzz target for FUZZTIME each (default 30s)
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

lint: ## gofmt, go vet, staticcheck and govulncheck (offline database from golang.org/x/vulndb, built by make deps)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...
	bash scripts/govulncheck.sh

bench: ## print join time, failure detection, manager forwarding vs kernel VXLAN, DTLS handshakes/s, CPU per handshake, provisioning and push for 1,000 CAPs, agent start → beaconing per board
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...
	@if [ "$$(id -u)" = 0 ] && command -v iperf3 >/dev/null; then \
	  CAPSTAN_NETNS=1 $(GO) test -run '^$$' -bench '^BenchmarkForwarding$$' -benchtime 1x ./tests/; \
	else echo "bench: forwarding benchmark skipped: needs root and iperf3 (make deps)"; fi
	@if [ "$$(id -u)" = 0 ] && command -v qemu-system-mipsel >/dev/null && command -v qemu-system-aarch64 >/dev/null; then \
	  $(MAKE) --no-print-directory board-images && \
	  CAPSTAN_BOARD=1 $(GO) test -run '^$$' -bench '^BenchmarkBoard' -benchtime 1x ./tests/; \
	else echo "bench: board benchmarks skipped: need root and QEMU (make deps)"; fi

clean: ## remove build output
	rm -rf bin dist build/pkg
