# kubeiam — build and test entry points. "make test" is what CI runs.
GO ?= go
GOFLAGS_TEST ?= -race -count=1

.PHONY: all build test unit lint tools bench fuzz clean

all: build

build:
	$(GO) build -o bin/kubeiam ./cmd/kubeiam

## tools: install what the tests need (AWS CLI v2, etcd) when missing.
tools:
	bash hack/ensure-tools.sh

## lint: gofmt and go vet must be clean.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## unit: every package's tests under the race detector.
unit:
	$(GO) test $(GOFLAGS_TEST) ./...

## test: the whole suite (what CI runs): tools, lint, all tests.
test: tools lint unit

## bench: the Go benchmarks.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: a short fuzzing pass over every parser (FUZZTIME=30s per target).
FUZZTIME ?= 10s
fuzz:
	bash hack/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin
