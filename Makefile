# provstream — the two commands: `make demo` (the whole pipeline on a sample project) and
# `make test` (everything CI checks). Both install what they need and are safe to run twice.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_STAMP := node_modules/.install-stamp
VITEST := node_modules/.bin/vitest

.PHONY: help install build up down status demo test check lint typecheck unit int e2e services-test bench-ingest bench-run bench-gateway bench-graph bench-monitor postgres-up fixtures clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
	@command -v node >/dev/null || { echo "Node.js 20+ is needed: apt-get install -y nodejs npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(NPM_STAMP) build ## install npm packages and compile

build: $(NPM_STAMP) bin/provstream
	node_modules/.bin/tsc -p tsconfig.build.json

# The native launcher of `provstream run` (services/capture/native: Go, standard library only).
GO := $(shell command -v go 2>/dev/null || ls /usr/local/go/bin/go 2>/dev/null)
GOFMT := $(if $(GO),$(dir $(GO))gofmt,gofmt)
NATIVE := services/capture/native
bin/provstream: $(wildcard $(NATIVE)/*.go) $(NATIVE)/go.mod
	@go="$(GO)"; if [ -z "$$go" ]; then echo "Go is needed for bin/provstream: installing Debian's golang-go"; \
	  (apt-get update -qq && apt-get install -y -qq golang-go >/dev/null) || { echo "could not install Go: apt-get install golang-go"; exit 1; }; go=$$(command -v go); fi; \
	  cd $(NATIVE) && CGO_ENABLED=0 GOFLAGS=-mod=mod "$$go" build -trimpath -o ../../../bin/provstream .

up: install ## start Kafka, ClickHouse, Redis (native or docker compose)
	bash infra/services.sh up

down: ## stop the services
	bash infra/services.sh down

status:
	@bash infra/services.sh status

demo: up ## the main job: pipeline on a sample project, prints what was stored
	node bin/provstream.js demo

lint: $(NPM_STAMP) ## eslint, typecheck, import-cycle check
	node_modules/.bin/eslint --max-warnings 0 services test bench
	node_modules/.bin/tsc -p tsconfig.json --noEmit
	node_modules/.bin/madge --circular --extensions ts --ts-config tsconfig.json services test bench
	cd $(NATIVE) && "$(or $(GO),go)" vet ./...
	@cd $(NATIVE) && unformatted="$$($(GOFMT) -l .)" && test -z "$$unformatted" || { echo "gofmt -w needed: $$unformatted"; exit 1; }

unit: $(NPM_STAMP) ## unit tests (no network)
	$(VITEST) run --project unit
	cd $(NATIVE) && "$(or $(GO),go)" test ./...

services-test: install
	bash infra/services.sh up --ephemeral

int: services-test ## integration tests against real Kafka / ClickHouse / Redis
	$(VITEST) run --project int

e2e: services-test ## end-to-end tests
	$(VITEST) run --project e2e

test: install lint unit int e2e ## everything CI runs

check: test

bench-ingest: up ## ingest throughput and freshness vs one-INSERT-per-event baseline
	node dist/bench/ingest.js

bench-run: up ## `provstream run` overhead vs the bare command (true, a small script): medians, ratios (ARGS="--runs 30")
	node dist/bench/run.js $(ARGS)

postgres-up: ## start PostgreSQL (only bench-graph uses it; `make down` stops it)
	bash infra/services.sh postgres-up

bench-graph: up postgres-up ## in-memory lineage/segment/summarize on 10^4-10^6 vertices vs PostgreSQL CTE and ClickHouse joins (ARGS="--help")
	node --expose-gc --max-old-space-size=6144 dist/bench/graph.js $(ARGS)

bench-monitor: up ## monitor: alert latency p50/p99 and max evaluated rate with 100 rules, vs 1 rule (ARGS="--runs 1")
	node dist/bench/monitor.js $(ARGS)

bench-gateway: up ## OpenLineage events/s through the HTTP gateway (batched, single) and end to end into ClickHouse, native events as baseline (ARGS="--runs 5")
	node dist/bench/gateway.js $(ARGS)

fixtures: build ## write golden fixtures for a NEW schema version: make fixtures V=v2
	node dist/services/model/write-fixtures.js $(V)

clean:
	rm -rf dist node_modules
