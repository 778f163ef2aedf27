# The ruler image: /usr/local/bin/ruler, run as `ruler run <flags>` (deploy/ruler/statefulset.yaml).
# Build from the repository root:
#   docker build -f deploy/docker/ruler.Dockerfile -t registry.example.com/thanos-console/ruler:0.1.0 .

FROM rust:1.95.0-bookworm AS build
# The workspace's release profile optimises the console's wasm for size; the ruler wants speed.
ENV CARGO_PROFILE_RELEASE_OPT_LEVEL=3
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p ruler

# Same Debian release as the build stage, so the glibc the binary links against is there.
FROM debian:12.13-slim
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /src/target/release/ruler /usr/local/bin/ruler
# nobody; the StatefulSet sets the same user and an fsGroup for the data volume.
USER 65534:65534
EXPOSE 10902
ENTRYPOINT ["/usr/local/bin/ruler"]
CMD ["--help"]
