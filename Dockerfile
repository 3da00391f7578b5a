# kube-rofs in a container: a static musl binary and a CA bundle on an empty base image.
#
#   docker build -t kube-rofs .
#   docker run --rm -v "$PWD:/src" kube-rofs check .
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/src" kube-rofs fix .
#
# The pre-commit hooks with `language: docker_image` (.pre-commit-hooks.yaml) run the image with
# the repository mounted at /src, the working directory, as the calling user (`-u uid:gid`, or
# root mapped to the user under rootless Docker/Podman, so the image sets no USER of its own:
# `fix` writes the user's files). .github/workflows/release.yml pushes it as
# ghcr.io/kube-rofs/kube-rofs:X.Y.Z for linux/amd64 and linux/arm64.
#
# Not built where it was written (no Docker engine there); hadolint passes on it.

# Alpine's Rust targets musl natively (x86_64- or aarch64-unknown-linux-musl, whichever the
# platform is) and links statically, mimalloc's C included, with the image's own gcc: no cross
# toolchain. At least rust-version in Cargo.toml.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-alpine AS build
# ca-certificates: the bundle the last stage copies, for --resolve-images over HTTPS.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /build
# benches/: Cargo.toml declares a bench target, and cargo reads every declared target's path.
# data/: the tables compiled in (kinds, image profiles, stateful signals); build.rs turns
# them into JSON.
COPY Cargo.toml Cargo.lock build.rs ./
COPY benches ./benches
COPY data ./data
COPY src ./src
RUN cargo build --release --locked && cp target/release/kube-rofs /kube-rofs

# The binary runs with nothing beside it, or the build stops here.
FROM scratch AS check
COPY --from=build /kube-rofs /kube-rofs
RUN ["/kube-rofs", "--version"]

FROM scratch
COPY --from=check /kube-rofs /kube-rofs
# The CA bundle where rustls's platform verifier looks on Linux: without it, every registry
# lookup of --resolve-images fails (with a note) for lack of trusted roots.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY LICENSE-MIT LICENSE-APACHE /licenses/
WORKDIR /src
ENTRYPOINT ["/kube-rofs"]
CMD ["--help"]
