# syntax=docker/dockerfile:1
# One image for every Canopy service: the pod's arguments choose the service
# (`canopyd --config /etc/canopy/canopy.toml run --services <name>`).
#   docker build -f mesh/docker/canopyd.Dockerfile -t canopyd:dev .
#
# The provisioner's `executor = "terraform"` needs a terraform (or tofu) binary, which
# this image leaves out; build a derived image for the provisioner, e.g.
#   FROM canopyd:dev
#   COPY --from=hashicorp/terraform:1.14 /bin/terraform /usr/local/bin/terraform
# (the sandbox executor, the default, needs none).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target folders are BuildKit caches, so a rebuild compiles only
# what changed; the binary is copied out of the cache before the step ends.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p canopyd -p canopy-policy --bins \
    && install -D -m 0755 target/release/canopyd /out/canopyd \
    && install -D -m 0755 target/release/canopy-policy-evaluator /out/canopy-policy-evaluator

# glibc and libgcc from Debian 12 like the builder, CA certificates, no shell, and
# the `nonroot` user (65532) the manifests run as.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/canopyd /usr/local/bin/canopyd
# The policy service evaluates untrusted Rego in this child process, found beside canopyd.
COPY --from=build /out/canopy-policy-evaluator /usr/local/bin/canopy-policy-evaluator
# The default mesh policy and the Terraform templates where canopyd's relative
# defaults (`mesh/policy.toml`, `terraform/`) find them from the working directory. In
# Kubernetes the policy comes from the canopy-config ConfigMap (/etc/canopy/policy.toml).
WORKDIR /usr/share/canopy
COPY mesh/policy.toml mesh/policy.toml
COPY terraform terraform
USER 65532:65532
EXPOSE 8443 9464
ENTRYPOINT ["/usr/local/bin/canopyd"]
CMD ["run"]
