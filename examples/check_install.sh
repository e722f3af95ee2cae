#!/bin/sh
# Installs libferry-client from a build tree into a temporary prefix and builds
# the examples against it twice: with find_package(ferry) and with pkg-config.
#   examples/check_install.sh BUILD_DIR
# CXXFLAGS are the build's own (the sanitizer presets need them: an ASan-built
# library only loads into a program built with ASan).
set -eu
build=${1:?usage: check_install.sh BUILD_DIR}
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" --component client >/dev/null

# CMake package.
cmake -S "$src/standalone" -B "$tmp/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_CXX_FLAGS="${CXXFLAGS:-}" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/cmake/transfer_callback" 2>/dev/null && exit 1 || test $? -eq 2

# pkg-config.
pc=$(find "$tmp/prefix" -name ferry.pc)
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs ferry)
${CXX:-c++} -std=c++20 ${CXXFLAGS:-} "$src/transfer_callback.cc" $flags -o "$tmp/pc_transfer_callback"
LD_LIBRARY_PATH=$(dirname "$(dirname "$pc")") "$tmp/pc_transfer_callback" 2>/dev/null && exit 1 || test $? -eq 2
echo "ferry install check: ok"
