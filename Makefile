# imdsplay — run `make help` for the targets.
SHELL := /bin/bash
GO ?= go
WASM_PATH := $(shell $(GO) env GOROOT)/lib/wasm
# Packages whose tests must also pass inside WebAssembly (run by node through go_js_wasm_exec).
JS_PKGS := ./imds/... ./shell/...
ADDR ?= 127.0.0.1:8080
MODULE := github.com/imdsplay/imdsplay

.PHONY: help serve site test test-native test-js test-browser check fmt-check vet generate generate-check bench fuzz load budgets clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

serve: ## build the playground and serve it at http://127.0.0.1:8080 (ADDR=...; rebuilds on change)
	$(GO) run ./cmd/imds site serve --addr $(ADDR)

site: ## build the playground into public/
	$(GO) run ./cmd/imds site build -o public

test: check test-native test-js test-browser ## everything CI runs: format, vet, unit tests (native and wasm), browser tests
	@echo "make test: all suites passed"

check: fmt-check vet generate-check ## gofmt, go vet, fresh templ output, and the js/wasm build
	GOOS=js GOARCH=wasm $(GO) build ./imds/... ./shell/... ./wasm/...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '_templ\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

generate: ## regenerate templ components
	$(GO) tool templ generate -path web

generate-check: ## fail when templ generate would change the committed *_templ.go
	$(GO) test ./web/ -run TestTemplFresh

test-native: ## unit and integration tests, natively, with the race detector on the core, shell and server
	$(GO) test -race ./imds/... ./shell/... ./cmd/... ./internal/...
	$(GO) test $$($(GO) list ./... | grep -v -E '^$(MODULE)/(imds|shell|cmd|internal|site/browsertest)(/|$$)')

test-js: ## the core's and the shell's tests inside WebAssembly (node)
	PATH="$$PATH:$(WASM_PATH)" GOOS=js GOARCH=wasm $(GO) test -short $(JS_PKGS)

test-browser: ## browser tests in headless Chromium (skipped, with a message, when Chromium is absent)
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$$IMDS_REQUIRE_BROWSER" ]; then \
		$(GO) test -count=1 -timeout 30m ./site/browsertest/; \
	else \
		echo "make test: chromium not found: browser tests SKIPPED (install Debian's chromium to run them)"; \
	fi

bench: ## benchmarks of the core beside their floors (benchstat), and the budget (COUNT, BENCHTIME, BENCH)
	./scripts/bench.sh

fuzz: ## run every fuzz target for FUZZTIME each (default 30s); corpora replay in make test
	./scripts/fuzz.sh

load: ## drive imds serve on loopback and compare with minimal net/http floors
	$(GO) run ./scripts/load

budgets: ## the playground's budgets in headless Chromium, as ratios to the smallest Go wasm page (and Lighthouse, via npm)
	$(GO) run ./scripts/budgets

clean: ## remove build outputs
	rm -rf public imds-bin
