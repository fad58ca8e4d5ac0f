# kubeiam — build and test entry points. "make test" is what CI runs.
GO ?= go
GOFLAGS_TEST ?= -race -count=1

.PHONY: all build test unit lint tools e2e-tools bench bench-server bench-store bench-token fuzz fuzz-short clean generate image

all: build

## build: bin/kubeiam and bin/kubeiam-token (the fast exec plugin, which
## hands over to the kubeiam next to it), with the version and commit
## stamped in (see internal/version).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo "(devel)")
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS_VERSION = -X github.com/kubeiam/kubeiam/internal/version.version=$(VERSION) \
	-X github.com/kubeiam/kubeiam/internal/version.commit=$(COMMIT)
build:
	$(GO) build -ldflags "$(LDFLAGS_VERSION)" -o bin/ ./cmd/kubeiam ./cmd/kubeiam-token

## tools: install what the tests need (AWS CLI v2, etcd) when missing.
tools:
	bash hack/ensure-tools.sh

## e2e-tools: build the kube-apiserver the end-to-end tests (test/e2e) and
## "kubeiam lab" run against ("kubeiam lab build-apiserver"), once per version
## (cached outside the repository; about 5 minutes the first time), and the
## token clients the cross-client token test (internal/localsts) drives:
## aws-iam-authenticator old and new, and the AWS SDK for JavaScript's presigner.
AWS_IAM_AUTHENTICATOR_VERSIONS ?= v0.6.27 v0.7.18
e2e-tools:
	bash hack/build-kube-apiserver.sh
	for v in $(AWS_IAM_AUTHENTICATOR_VERSIONS); do bash hack/build-aws-iam-authenticator.sh $$v || exit 1; done
	bash hack/install-js-presigner.sh

## lint: gofmt and go vet must be clean.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## unit: every package's tests under the race detector; the end-to-end
## tests (test/e2e) in a random order, which they must not depend on.
unit:
	$(GO) test $(GOFLAGS_TEST) $$($(GO) list ./... | grep -v /test/e2e)
	$(GO) test $(GOFLAGS_TEST) -shuffle=on ./test/e2e

## test: the whole suite (what CI runs): tools, lint, all tests, and a
## short pass of every fuzz target.
test: tools e2e-tools lint unit fuzz-short

## bench: the Go benchmarks.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-token: the exec plugin as kubectl runs it, whole processes with a
## warm cache: a floor Go program, kubeiam-token, kubeiam token, and
## aws-iam-authenticator when on PATH (AUTHENTICATOR=path to choose one).
bench-token:
	$(GO) run ./bench/tokenbench $(if $(AUTHENTICATOR),-authenticator $(AUTHENTICATOR))

## bench-server: the whole benchmark (bench/authbench, BENCHMARKS.md): kubeiam
## server, aws-iam-authenticator server (built once from source and cached by
## hack/build-aws-iam-authenticator.sh), a trivial handler and a local STS
## behind a TLS proxy, each a process; webhook phases interleaved in rounds,
## memory and idle CPU with 100,000 mappings, and the token commands timed as
## whole processes. About 10 minutes; BENCHFLAGS=-quick for about 2.
BENCHFLAGS ?=
bench-server: build
	$(GO) run ./bench/authbench -kubeiam bin/kubeiam $(BENCHFLAGS)

## bench-store: warm TokenReview throughput on the kubernetes store against
## the embedded bolt store, as separate kubeiam processes on a real
## kube-apiserver (needs "make tools e2e-tools").
bench-store: tools e2e-tools
	$(GO) run ./bench/storebench

## fuzz: a fuzzing pass over every fuzz target (FUZZTIME=30s per target;
## FUZZMINIMIZETIME bounds the minimisation of each new input).
FUZZTIME ?= 10s
FUZZMINIMIZETIME ?= 100x
fuzz:
	bash hack/fuzz.sh $(FUZZTIME) $(FUZZMINIMIZETIME)

## fuzz-short: what "make test" runs: every fuzz target for 3 seconds
## (hack/fuzz.sh finds every Fuzz function: 32 targets, among them the
## TokenReview decoder and encoder and the STS answer parser held to
## encoding/json; about 2 minutes of fuzzing, plus compilation).
fuzz-short:
	bash hack/fuzz.sh 3s 50x

## generate: the deepcopy functions of internal/kubeapi and the CRD YAML in
## deploy/base/crds, from the Go types' kubebuilder markers (controller-gen,
## run with "go run" so that it is not a module dependency; commit the output).
CONTROLLER_GEN ?= $(GO) run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.17.3
generate:
	$(CONTROLLER_GEN) object paths=./internal/kubeapi/...
	$(CONTROLLER_GEN) crd paths=./internal/kubeapi/... output:crd:artifacts:config=deploy/base/crds

## image: kubeiam's container image, built offline from a static linux
## binary (no Docker daemon, no registry): an OCI layout in bin/image/oci and
## bin/image/kubeiam.tar for "docker load -i" / "podman load -i" (see
## hack/image and internal/ociimage). IMAGE and GOARCH choose the name and
## architecture.
IMAGE ?= kubeiam:dev
GOARCH ?= $(shell $(GO) env GOARCH)
image:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS_VERSION)" -o bin/linux_$(GOARCH)/kubeiam ./cmd/kubeiam
	GOARCH=$$($(GO) env GOHOSTARCH) $(GO) run ./hack/image --binary bin/linux_$(GOARCH)/kubeiam --tag $(IMAGE) \
	  --oci-layout bin/image/oci --tarball bin/image/kubeiam.tar

clean:
	rm -rf bin
