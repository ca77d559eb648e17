# tracebridge: build, run and test the otelcol-tracebridge collector distribution.
SHELL := /bin/bash
.DEFAULT_GOAL := build

GO            ?= go
TOOLS_BIN     := $(CURDIR)/.tools
BIN           := $(CURDIR)/bin
OCB_VERSION   := v0.165.0
LINT_VERSION  := v2.15.0
OCB           := $(TOOLS_BIN)/builder
GOLANGCI_LINT := $(TOOLS_BIN)/golangci-lint
MDATAGEN      := $(BIN)/mdatagen
COLLECTOR     := $(BIN)/otelcol-tracebridge
SMITHEMU      := $(BIN)/smithemu
REPLAY        := $(BIN)/tracebridge-replay

GO_SOURCES := $(shell find . -name '*.go' -not -path './_build/*' -not -path './internal/tools/*' 2>/dev/null) go.mod go.sum

.PHONY: build run test unit-test e2e-test test-deps browser-deps browser-test lint bench generate testdata clean

## build: the collector (via the pinned OCB) and the project's own binaries into ./bin
build: $(COLLECTOR) $(SMITHEMU) $(REPLAY)

$(OCB):
	GOBIN=$(TOOLS_BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)

$(COLLECTOR): $(OCB) builder-config.yaml $(GO_SOURCES)
	$(OCB) --config builder-config.yaml --skip-strict-versioning=false
	@mkdir -p $(BIN)
	cp --remove-destination _build/otelcol-tracebridge $(COLLECTOR)

$(SMITHEMU): $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/smithemu

$(REPLAY): $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/tracebridge-replay

## run: start the collector with ./config.yaml; without LANGSMITH_ENDPOINT, also the local emulator
run: build
	./scripts/run.sh

## test: unit tests with -race, end-to-end tests against the built collector, then the
## headless-browser test of the emulator's page
test: unit-test e2e-test browser-test

test-deps:
	cd test/sdk && npm ci --no-audit --no-fund

unit-test: test-deps
	$(GO) test -race -count=1 ./...

e2e-test: build
	TRACEBRIDGE_COLLECTOR=$(COLLECTOR) TRACEBRIDGE_SMITHEMU=$(SMITHEMU) TRACEBRIDGE_REPLAY=$(REPLAY) \
		$(GO) test -race -count=1 -tags e2e ./test/e2e/...

CHROMIUM ?= /usr/bin/chromium

## browser-deps: Debian's Chromium (a test tool's own browser download cannot work here) and the
## pinned playwright-core that drives it
browser-deps:
	@command -v $(CHROMIUM) >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	cd test/browser && npm ci --no-audit --no-fund

## browser-test: headless Chromium opens the emulator's page, clicks a run, sees its inputs and outputs
browser-test: browser-deps $(SMITHEMU)
	cd test/browser && TRACEBRIDGE_SMITHEMU=$(SMITHEMU) CHROMIUM=$(CHROMIUM) node --test

## lint: go vet and the pinned golangci-lint
lint: $(GOLANGCI_LINT)
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(LINT_VERSION)

## bench: Go benchmarks with allocations (compare runs with benchstat)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./translator/... ./exporter/... ./receiver/... | tee bench.out

## generate: regenerate component metadata code with the pinned mdatagen
generate: $(MDATAGEN)
	cd receiver/langfusereceiver && $(MDATAGEN) metadata.yaml
	cd exporter/langsmithexporter && $(MDATAGEN) metadata.yaml

$(MDATAGEN): internal/tools/go.mod
	cd internal/tools && $(GO) build -o $@ go.opentelemetry.io/collector/cmd/mdatagen

## testdata: regenerate the synthetic agent traces used by the demo, tests and benchmarks
testdata:
	$(GO) run ./cmd/tracebridge-replay --generate 50 --seed 1 --out testdata/replay/agent-traces-50.json

clean:
	rm -rf _build bin tmp bench.out

.PHONY: loadtest bench-compare

TELEMETRYGEN := $(TOOLS_BIN)/telemetrygen
BENCHSTAT    := $(TOOLS_BIN)/benchstat
LOADTEST_FLAGS ?=

## loadtest: end-to-end load test of the built collector (test/load, a few minutes; -list shows the
## scenarios). Prints one table and writes test/load/results/<timestamp>.json. Take figures you
## mean to keep on a quiet machine, e.g. LOADTEST_FLAGS='-scenarios otlp-20k-base,otlp-20k'.
loadtest: build $(TELEMETRYGEN)
	$(GO) run ./test/load $(LOADTEST_FLAGS)

$(TELEMETRYGEN):
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@v0.161.0

## bench-compare: compare two `make bench` runs with benchstat. bench.out is overwritten by each
## run, so keep the old one first: make bench && mv bench.out bench-old.out; (change); make bench;
## make bench-compare (-ignore pkg: a benchmark keeps its name when its code moves to another package)
bench-compare: $(BENCHSTAT)
	$(BENCHSTAT) -ignore pkg bench-old.out bench.out

$(BENCHSTAT):
	GOBIN=$(TOOLS_BIN) $(GO) install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
