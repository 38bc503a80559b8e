# Evidence Uploader. `make demo` runs the main job against a local tus portal; `make test` runs every test;
# `make help` lists the targets (each target's `##` line).
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
PYTHON := .venv/bin/python
# Where scripts/nspawn-test keeps its debootstrapped Debian 12 (made once, reused; make clean-cache).
NSPAWN_CACHE ?= /var/cache/evidence-uploader-nspawn
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: help all deps venv build release demo test unit-test integration-test service-test fuzz-smoke portal fuzz bench \
	clean clean-cache

# install, uninstall, systemd-check, nspawn-test, release-static
include Makefile.install

## This list: every target with its one line.
help:
	@awk 'FNR == 1 { doc = "" } /^## / { doc = substr($$0, 4); next } /^#/ { next } \
	      /^[a-z][a-z-]*:/ { if (doc != "") printf "  make %-18s %s\n", substr($$1, 1, length($$1) - 1), doc } \
	      { doc = "" }' $(MAKEFILE_LIST)

## The optimised binary (same as `make release`).
all: release

## The Debian packages the build and the tests need (apt, through sudo when not root).
deps:
	@scripts/install-deps

## The Python virtual environment in .venv for the local portal and the tests.
venv: deps
	@scripts/venv

## A debug build: .build/debug/evidence-uploader.
build: deps
	$(SWIFT) build

## An optimised build: .build/release/evidence-uploader (needs the Swift runtime; see release-static).
release: deps
	$(SWIFT) build -c release

## The main job: local portal on 127.0.0.1:8088, the daemon, sample evidence dropped in, the result.
demo: release venv
	scripts/demo

## Every test: unit, end-to-end against the real tus server, the service, each fuzz target briefly.
# The end-to-end suites drive the real binary with real files, signals and faults; the service is
# scored and verified, and run under a real systemd when root. CI=true shortens the heavy suites
# (RELIABILITY.md says by how much, and which three fault scenarios it leaves out).
test: unit-test integration-test service-test fuzz-smoke

## The unit tests (swift test).
unit-test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## The end-to-end suites (pytest Tests/integration) against the debug build.
integration-test: venv
	$(SWIFT) build
	EVIDENCE_UPLOADER_BIN=$(CURDIR)/.build/debug/evidence-uploader $(PYTHON) -m pytest Tests/integration -q -rs

## The unit scored and verified; as root, run in a booted Debian (nspawn) and the .deb tested there.
service-test: deps
	scripts/systemd-check
	@if [ "$$(id -u)" -eq 0 ]; then $(MAKE) --no-print-directory nspawn-test deb-test; \
	else echo "nspawn-test and deb-test SKIPPED: need root (systemd-nspawn)"; fi

FUZZ_SMOKE_SECONDS ?= 20
## Each libFuzzer target for FUZZ_SMOKE_SECONDS (20 s).
fuzz-smoke:
	scripts/fuzz $(FUZZ_SMOKE_SECONDS)

## The side-by-side benchmark (PERFORMANCE.md): make bench, or make bench ARGS=--quick.
bench:
	scripts/bench $(ARGS)

## The local portal in the foreground (store in .work/portal).
portal: venv
	scripts/portal run .work/portal 8088

FUZZ_SECONDS ?= 60
## Each libFuzzer target (Fuzz/) for FUZZ_SECONDS (60 s); crashes in .build-fuzz/crashes/<target>/.
fuzz:
	scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

## Removes the builds, .work (demo output, test reports) and dist/; not the nspawn image cache.
clean:
	rm -rf .build .build-fuzz .work dist

## Removes the nspawn test's Debian 12 image (NSPAWN_CACHE, /var/cache/evidence-uploader-nspawn, ~250 MB).
clean-cache:
	rm -rf "$(NSPAWN_CACHE)"
