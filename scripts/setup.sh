#!/usr/bin/env bash
# Install everything mlc needs on Debian 12 (idempotent), then run the demo or the test suite.
#
#   bash scripts/setup.sh demo   build examples/gesture.onnx for cortex-m4 and test it on the emulated board
#   bash scripts/setup.sh test   run the whole test suite (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-demo}"
case "$what" in demo|test|install) ;; *) echo "usage: $0 demo|test|install" >&2; exit 2 ;; esac

# Debian packages: host compiler and tools, the Arm cross compiler with newlib, QEMU's Arm machines,
# cppcheck (tests/models/test_static_analysis.py), and for the Cortex-A Linux boards (cortex-a53, cortex-a7)
# the aarch64 and armhf Linux cross compilers with their C libraries and QEMU user mode.
packages=(ca-certificates gcc libc6-dev make cmake python3 python3-venv
          gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm cppcheck
          gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A virtual environment with mlc and its test tools (Debian's pip refuses system-wide installs).
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.mlc-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
    touch "$stamp"
fi

case "$what" in
demo)
    .venv/bin/mlc build examples/gesture.onnx --board cortex-m4 -o out/gesture
    .venv/bin/mlc test examples/gesture.onnx --board cortex-m4 --data examples/gesture_data.npz
    ;;
test)
    .venv/bin/ruff check toolchain tests
    set +e
    .venv/bin/python -m pytest -n 2 -q
    rc=$?
    set -e
    # pytest exits 5 when it collects no test: that is a failure of the suite, not a pass.
    if [ "$rc" -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi
    exit "$rc"
    ;;
esac
