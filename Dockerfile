# vgpu-device-plugin container image.
#
#   docker build -t vgpu-device-plugin:0.1.0 .
#
# The build stage runs the same scripts as CI (scripts/install-deps.sh and
# scripts/build.sh), so an image build exercises them too. gRPC, protobuf,
# abseil and yaml-cpp are linked from the static archives of their Debian
# -dev packages (-DVGPU_STATIC_DEPS=ON: faster start, less resident memory;
# docs/benchmarks.md). The runtime stage holds only the two binaries, the
# shared libraries left (prometheus-cpp, CivetWeb) and pci.ids.

ARG DEBIAN_IMAGE=debian:12

# ---------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# Packages first, from the scripts alone, so the layer is cached across
# source changes.
COPY scripts/install-deps.sh scripts/extra-packages.txt scripts/
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
ARG VGPU_JOBS=
RUN VGPU_JOBS="${VGPU_JOBS:-$(nproc)}" bash scripts/build.sh build \
      -DCMAKE_BUILD_TYPE=Release -DVGPU_BUILD_TESTS=OFF -DVGPU_BUILD_BENCHMARKS=OFF \
      -DVGPU_STATIC_DEPS=ON
# Collect exactly one executable per binary name, wherever cmd/ puts it.
RUN mkdir -p /out/usr/bin && \
    for bin in vgpu-device-plugin vgpuctl; do \
      mapfile -t found < <(find build/cmd -type f -name "$bin" -perm -u+x); \
      if [[ ${#found[@]} -ne 1 ]]; then \
        echo "expected one $bin under build/cmd, found ${#found[@]}" >&2; exit 1; \
      fi; \
      install -m 0755 -s "${found[0]}" "/out/usr/bin/$bin"; \
    done && \
    ldd /out/usr/bin/* | tee /out/ldd.txt && ! grep -q 'not found' /out/ldd.txt

# ---------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE}-slim AS runtime
# Runtime halves of the -dev packages that ship no static archive
# (prometheus-cpp, CivetWeb), and libcrypto (SHA-1 of the vGPU layout's
# UUIDv5); everything else is inside the binaries.
RUN apt-get update -qq && \
    apt-get install -y -qq --no-install-recommends \
      libprometheus-cpp-core1.0 \
      libcivetweb1 \
      libssl3 \
      pci.ids && \
    rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/bin/ /usr/bin/
# Fails the image build if a shared library is missing at run time.
RUN ["/usr/bin/vgpu-device-plugin", "--version"]
RUN ["/usr/bin/vgpuctl", "version"]

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="vgpu-device-plugin" \
      org.opencontainers.image.description="Kubernetes device plugin for VFIO passthrough GPUs, vGPUs and NVSwitches in Kata Containers VMs" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/debian:12-slim"

# Root on purpose: the kubelet's device-plugin and pod-resources directories
# and /var/run/cdi are owned by root with mode 0750/0755, and the daemon must
# create sockets and spec files there. The manifests take every capability
# away, forbid privilege escalation and make the root filesystem read-only,
# so root here is an unprivileged owner of those directories, nothing more.
USER 0:0
ENTRYPOINT ["/usr/bin/vgpu-device-plugin"]
