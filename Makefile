# Evidence Uploader. `make demo` runs the main job against a local tus portal; `make test` runs every test.
SWIFT ?= swift
PREFIX ?= /usr/local
DESTDIR ?=
PYTHON := .venv/bin/python
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: all deps venv build release demo test unit-test integration-test service-test fuzz-smoke portal fuzz bench clean

# install, uninstall, systemd-check, nspawn-test, release-static
include Makefile.install

all: release

deps:
	@scripts/install-deps

venv: deps
	@scripts/venv

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## The main job: local portal on 127.0.0.1:8088, sample evidence, `run --once`, the result.
demo: release venv
	scripts/demo

## Every test: unit tests (swift test); the end-to-end suites against the real tus server (real
## binary, files, signals, faults); the service (unit score, and under a real systemd when root);
## each fuzz target briefly. CI=true shortens the heavy suites; they still run.
test: unit-test integration-test service-test fuzz-smoke

unit-test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

integration-test: venv
	$(SWIFT) build
	EVIDENCE_UPLOADER_BIN=$(CURDIR)/.build/debug/evidence-uploader $(PYTHON) -m pytest Tests/integration -q -rs

## The systemd unit scored and verified; then, as root, installed and run in a booted Debian (nspawn).
service-test: deps
	scripts/systemd-check
	@if [ "$$(id -u)" -eq 0 ]; then $(MAKE) --no-print-directory nspawn-test; \
	else echo "nspawn-test SKIPPED: needs root (systemd-nspawn)"; fi

FUZZ_SMOKE_SECONDS ?= 20
fuzz-smoke:
	scripts/fuzz $(FUZZ_SMOKE_SECONDS)

## Side-by-side benchmark (PERFORMANCE.md): make bench, or make bench ARGS=--quick.
bench:
	scripts/bench $(ARGS)

## The local portal in the foreground (store in .work/portal).
portal: venv
	scripts/portal run .work/portal 8088

## libFuzzer targets (Fuzz/): each for FUZZ_SECONDS; crashes in .build-fuzz/crashes/<target>/.
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf .build .build-fuzz .work
