#!/usr/bin/env bash
# Installs the Debian 12 packages ops-cpp builds, tests and demos with.
# Run as root. Packages already present are skipped, so a second run is quick
# and needs no network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang-format clang-tidy-16 zip unzip
  libyaml-cpp-dev libyaml-dev nlohmann-json3-dev libsqlitecpp-dev libsqlite3-dev
  libhiredis-dev libspdlog-dev libfmt-dev libssl-dev libboost-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev liblzma-dev
  redis-server redis-sentinel redis-tools prometheus-redis-exporter openssl iproute2 procps
)
if [ "$#" -gt 0 ]; then packages+=("$@"); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: these packages are missing and installing them needs root: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
