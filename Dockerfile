# kubeiam's container image, for builders with a container daemon:
#
#   docker build -t kubeiam:dev .
#
# It has not been built in kubeiam's own CI, which has no daemon; "make
# image" builds the same image (a static binary at /kubeiam, the nonroot
# user 65532, CA certificates, ENTRYPOINT ["/kubeiam"]) offline from the
# binary, without a daemon or a registry, and is what the tests check (see
# internal/ociimage).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no C library in the final image), reproducible paths, no symbols.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w" -o /out/kubeiam ./cmd/kubeiam

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kubeiam /kubeiam
USER 65532:65532
ENTRYPOINT ["/kubeiam"]
CMD ["--help"]
