#!/usr/bin/env bash
# Installs what the orchestrator needs on Debian 12 (bookworm): the native toolchain, libtorch, OpenCV and DCMTK,
# fontconfig with the DejaVu fonts, which the report's figures are measured and drawn with, and Node.js with npm, with
# which the build installs the dashboard's charting library (build/dashboard-assets.targets).
# With --test it also installs what the test suite needs (Debian's PyTorch and torchvision as a reference
# oracle, and Debian's chromium, in which a test opens a sweep report headless; PostgreSQL for the cluster tests,
# which start their own throw-away server on loopback; never used by the product).
# Installs only what is missing; safe to run again.
set -euo pipefail

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

packages=(cmake g++ make pkg-config libtorch-dev libopencv-dev libdcmtk-dev fontconfig fonts-dejavu-core)
# Debian's nodejs and npm, unless an npm is there already (NodeSource's nodejs brings its own).
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [ "${1:-}" = "--test" ]; then
  # python3-scipy: the oracle of the Sobol sequence test.
  packages+=(python3-torch python3-torchvision python3-pil python3-numpy python3-scipy chromium postgresql)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo_cmd apt-get update -q
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "installing the .NET 10 SDK"
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dotnet-sdk-10.0 || {
    echo "error: the .NET 10 SDK is not installed and apt has no dotnet-sdk-10.0; add Microsoft's package feed (https://learn.microsoft.com/dotnet/core/install/linux-debian) and run this again" >&2
    exit 1
  }
fi
echo "dependencies ready: $(dotnet --version) .NET SDK, libtorch $(dpkg-query -W -f='${Version}' libtorch-dev), npm $(npm --version)"
