#!/bin/sh
# Installs a build tree into a temporary prefix, as the README's Install
# section does, and checks what a user gets:
#   - every file that section lists is installed (ferryd, ferry, the SDK,
#     units, bus and polkit files, man pages, shell completions);
#   - the examples (transfer_callback.cc, download_status.cc) build against
#     the installed SDK, with find_package(ferry) and with pkg-config;
#   - the installed `ferry --version` runs, and the installed ferry talks to
#     the installed ferryd (--user on a private dbus-daemon started here;
#     both stopped by PID), `ferry set JOB download-mode http-only`
#     included; download_status, built against the installed SDK, downloads
#     a file:// URL through that ferryd (DO's download API);
#   - `--component client` installs the SDK alone.
#   examples/check_install.sh BUILD_DIR
# CXXFLAGS are the build's own (the sanitizer presets need them: an ASan-built
# library only loads into a program built with ASan).
set -eu
build=${1:?usage: check_install.sh BUILD_DIR}
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
bus_pid=""
ferryd_pid=""
stop() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() {
  stop "$ferryd_pid"
  stop "$bus_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "ferry install check: $*" >&2
  exit 1
}

# Everything, as `cmake --install build/release --prefix /usr` would.
p=$tmp/prefix
cmake --install "$build" --prefix "$p" >/dev/null
pc=$(find "$p" -name ferry.pc)
[ -n "$pc" ] || fail "no ferry.pc"
libdir=$(dirname "$(dirname "$pc")")
for f in bin/ferryd bin/ferry include/ferry/ferry.h \
  lib/systemd/system/ferryd.service lib/systemd/user/ferryd.service lib/sysusers.d/ferry.conf \
  share/dbus-1/system.d/org.ferry.Ferry1.conf share/dbus-1/system-services/org.ferry.Ferry1.service \
  share/dbus-1/services/org.ferry.Ferry1.service share/dbus-1/interfaces/org.ferry.Ferry1.xml \
  share/polkit-1/actions/org.ferry.policy share/ferry/ferryd.json.example \
  share/man/man1/ferry.1 share/man/man8/ferryd.8 share/man/man5/ferryd.json.5 \
  share/bash-completion/completions/ferry share/zsh/vendor-completions/_ferry; do
  [ -e "$p/$f" ] || fail "cmake --install did not install $f"
done
for f in libferry-client.so cmake/ferry/ferryConfig.cmake pkgconfig/ferry.pc; do
  [ -e "$libdir/$f" ] || fail "cmake --install did not install $libdir/$f"
done

# The SDK: CMake package.
cmake -S "$src/standalone" -B "$tmp/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$p" \
  -DCMAKE_CXX_FLAGS="${CXXFLAGS:-}" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
LD_LIBRARY_PATH="$libdir" "$tmp/cmake/transfer_callback" 2>/dev/null && exit 1 || test $? -eq 2
LD_LIBRARY_PATH="$libdir" "$tmp/cmake/download_status" 2>/dev/null && exit 1 || test $? -eq 2

# The SDK: pkg-config.
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs ferry)
${CXX:-c++} -std=c++20 ${CXXFLAGS:-} "$src/transfer_callback.cc" $flags -o "$tmp/pc_transfer_callback"
LD_LIBRARY_PATH="$libdir" "$tmp/pc_transfer_callback" 2>/dev/null && exit 1 || test $? -eq 2
${CXX:-c++} -std=c++20 ${CXXFLAGS:-} "$src/download_status.cc" $flags -o "$tmp/pc_download_status"
LD_LIBRARY_PATH="$libdir" "$tmp/pc_download_status" 2>/dev/null && exit 1 || test $? -eq 2

# The installed CLI runs as installed (it finds libferry-client by its RPATH).
unset LD_LIBRARY_PATH
"$p/bin/ferry" --version | grep -q '^ferry [0-9]' || fail "the installed ferry --version does not run"
"$p/bin/ferryd" --version >/dev/null || fail "the installed ferryd --version does not run"

# The installed ferry and ferryd together, on a private session bus.
bus="unix:path=$tmp/bus"
dbus-daemon --session --address="$bus" --nofork --nopidfile >"$tmp/bus.log" 2>&1 &
bus_pid=$!
for _ in $(seq 1 100); do [ -S "$tmp/bus" ] && break; sleep 0.05; done
[ -S "$tmp/bus" ] || fail "dbus-daemon did not start: $(cat "$tmp/bus.log")"
"$p/bin/ferryd" --user --bus-address "$bus" --state-dir "$tmp/state" --log-level warn 2>"$tmp/ferryd.log" &
ferryd_pid=$!
for _ in $(seq 1 100); do
  "$p/bin/ferry" status --bus-address "$bus" >/dev/null 2>&1 && break
  sleep 0.1
done
created=$("$p/bin/ferry" create install-check --json --bus-address "$bus") ||
  fail "the installed ferry could not create a job: $(cat "$tmp/ferryd.log")"
echo "$created" | grep -q '"display_name": "install-check"' || fail "ferry create printed: $created"
"$p/bin/ferry" list --bus-address "$bus" | grep -q install-check || fail "ferry list does not show the job"
# A job's own download mode, as a user types it (ferryd's own user, in user mode).
job=$(echo "$created" | sed -n 's/.*"id": "\([^"]*\)".*/\1/p' | head -n 1)
"$p/bin/ferry" set "$job" download-mode http-only --bus-address "$bus" >/dev/null ||
  fail "ferry set JOB download-mode http-only failed: $(cat "$tmp/ferryd.log")"
"$p/bin/ferry" info "$job" --json --bus-address "$bus" | grep -q '"download_mode": "http-only"' ||
  fail "ferry info does not show the job's download mode"
# DO's download API: the example built against the installed SDK fetches a
# file:// URL through the installed ferryd and finalizes it.
head -c 100000 /dev/urandom >"$tmp/payload"
timeout 120 env LD_LIBRARY_PATH="$libdir" "$tmp/cmake/download_status" "file://$tmp/payload" "$tmp/downloaded" "$bus" \
  >"$tmp/download_status.log" 2>&1 ||
  fail "download_status against the installed ferryd failed: $(cat "$tmp/download_status.log" "$tmp/ferryd.log")"
cmp -s "$tmp/payload" "$tmp/downloaded" || fail "download_status did not deliver the file"
timeout 120 env LD_LIBRARY_PATH="$libdir" "$tmp/pc_download_status" "file://$tmp/payload" "$tmp/downloaded-pc" "$bus" \
  >"$tmp/download_status.log" 2>&1 ||
  fail "download_status (pkg-config build) failed: $(cat "$tmp/download_status.log")"
cmp -s "$tmp/payload" "$tmp/downloaded-pc" || fail "download_status (pkg-config build) did not deliver the file"
stop "$ferryd_pid"
ferryd_pid=""
stop "$bus_pid"
bus_pid=""

# --component client: the SDK alone.
cmake --install "$build" --prefix "$tmp/client" --component client >/dev/null
[ -n "$(find "$tmp/client" -name ferry.pc)" ] || fail "--component client did not install ferry.pc"
[ ! -e "$tmp/client/bin/ferryd" ] || fail "--component client installed ferryd"
echo "ferry install check: ok"
