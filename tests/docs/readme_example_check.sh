#!/bin/sh
# Fails when a ```cpp block of README.md is not a quote of one example: every
# line of the block (but blanks and "// ..." elision lines) must be a line of
# the same file of examples/, and the README must quote each of
# examples/transfer_callback.cc (the job API) and examples/download_status.cc
# (DO's download API). The README quotes the examples, it does not paraphrase
# them.
#   tests/docs/readme_example_check.sh SOURCE_DIR
set -eu
src=${1:?usage: readme_example_check.sh SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One file per block: $tmp/block.1, $tmp/block.2, ...
awk -v dir="$tmp" '/^```cpp$/ {n++; on=1; next} /^```$/ {on=0} on {print > (dir "/block." n)}' \
  "$src/README.md"
bad=0
quoted=""
for block in "$tmp"/block.*; do
  [ -e "$block" ] || { echo "README.md quotes no C++ example"; exit 1; }
  found=""
  for example in "$src"/examples/*.cc; do
    ok=1
    while IFS= read -r line; do
      case "$line" in '' | *'// ...'*) continue ;; esac
      grep -Fxq -- "$line" "$example" || { ok=0; break; }
    done <"$block"
    if [ "$ok" -eq 1 ]; then found=$(basename "$example"); break; fi
  done
  if [ -z "$found" ]; then
    echo "README.md: a C++ block is not a quote of one file of examples/:"
    sed 's/^/  /' "$block"
    bad=1
  fi
  quoted="$quoted $found"
done
for want in transfer_callback.cc download_status.cc; do
  case " $quoted " in *" $want "*) ;; *) echo "README.md does not quote examples/$want"; bad=1 ;; esac
done
[ "$bad" -eq 0 ] && echo "README quotes examples/transfer_callback.cc and download_status.cc: ok"
exit "$bad"
