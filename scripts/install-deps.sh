#!/usr/bin/env bash
# Installs every Debian package partnergraph needs, only those that are missing.
# Idempotent: a second run installs nothing and says so.
# Run as root, or as a user with sudo (the script then prefixes apt-get with sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libboost-graph-dev
  libfaiss-dev libopenblas-dev liblapack-dev libomp-dev
  libtbb-dev
  libthrift-dev thrift-compiler python3-thrift libssl-dev libevent-dev
  catch2
  librocksdb-dev
  libbenchmark-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  zlib1g-dev
  # the fuzz targets (make fuzz, and the short runs of make test): libFuzzer, with clang
  clang-14 libfuzzer-14-dev
  # make lint
  clang-tidy-14
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages are already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "install-deps: not root; running apt-get through sudo (you may be asked for your password)"
    SUDO="sudo"
  else
    echo "install-deps: not root and sudo is missing; run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
