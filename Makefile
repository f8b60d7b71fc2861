# dieuphoi — two commands for a newcomer: `make run` and `make test`.
GO      ?= go
PKGS    := ./...
BIN     := bin/dieuphoi
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: run test bench build generate lint clean demo cluster

## run: start the service with working defaults (embedded NATS + JetStream in ./data, HTTP on :8080)
run:
	$(GO) run ./cmd/dieuphoi serve

## demo: record a realistic drill scenario in ./data (then `make run` shows it)
demo:
	$(GO) run ./cmd/dieuphoi demo

## test: every test, with the race detector, against real embedded nats-servers; the board's
##       browser tests run in headless Chromium (skipped without one unless CI is set)
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## bench: benchmarks against raw JetStream measured in the same run, then a summary
##        (DIEUPHOI_BENCH_EVENTS=100000 make bench for a quicker, smaller log)
bench:
	@mkdir -p bin
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./eventstore/ ./projections/ ./app/ ./ingest/ ./graph/... ./cmd/dieuphoi/ ./deploy/ | tee bin/bench.txt
	@echo
	@echo "== summary =="
	@awk '/^Benchmark/ { name=$$1; sub(/-[0-9]+$$/, "", name); line=name":"; \
		for (i=5; i<NF; i+=2) line=line"  "$$(i+1)"="$$i; print line }' bin/bench.txt

## cluster: the real topology on this machine from the pinned modules (no Docker): 3 NATS nodes
##          (TLS, JetStream, R3) and 2 replicas on :8081 and :8082; prints a token; Ctrl-C stops
cluster:
	$(GO) run ./deploy/cluster

## build: the dieuphoi binary in bin/
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/dieuphoi

## generate: regenerate generated code (gqlgen, once the API exists)
generate:
	$(GO) generate $(PKGS)

## lint: formatting, vet and staticcheck (pinned; fetched from the module proxy on first use)
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^graph/generated'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.6.1 $(PKGS)

clean:
	rm -rf bin
