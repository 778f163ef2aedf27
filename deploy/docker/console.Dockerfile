# The console image: the release build of the console, served by nginx on port 8080 with
# deploy/console/default.conf.template (rendered at start with THANOS_QUERY_URL).
# Build from the repository root:
#   docker build -f deploy/docker/console.Dockerfile -t registry.example.com/thanos-console/console:0.1.0 .
# Tools and versions as in scripts/setup.sh.

FROM node:20.20.2-bookworm-slim AS binaryen
# Debian's binaryen 108 emits wasm that fails at run time.
RUN npm install --silent --no-audit --no-fund --prefix /opt/binaryen binaryen@132

FROM rust:1.95.0-bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN rustup target add wasm32-unknown-unknown
RUN cargo install --locked trunk --version "~0.21"
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly. Not --locked: one of its
# locked dependencies is missing from the registry.
COPY Cargo.lock /tmp/Cargo.lock
RUN version="$(grep -A1 '^name = "wasm-bindgen"$' /tmp/Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')" \
 && test -n "$version" \
 && cargo install wasm-bindgen-cli --version "$version"
COPY --from=binaryen /usr/local/bin/node /usr/local/bin/node
COPY --from=binaryen /opt/binaryen /opt/binaryen
ENV PATH=/opt/binaryen/node_modules/.bin:$PATH
WORKDIR /src
COPY . .
# Offline: trunk uses the tools installed above instead of downloading its own.
RUN trunk build --release --offline

FROM nginxinc/nginx-unprivileged:1.28.2-alpine
# The entrypoint substitutes only this variable into the template, so nginx's own $variables stay.
ENV NGINX_ENVSUBST_FILTER=THANOS_QUERY_URL \
    THANOS_QUERY_URL=http://thanos-query.thanos.svc.cluster.local:9090
COPY deploy/console/default.conf.template /etc/nginx/templates/default.conf.template
COPY --from=build /src/dist/ /usr/share/nginx/html/
USER 101
EXPOSE 8080
