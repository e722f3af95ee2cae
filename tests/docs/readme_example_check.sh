#!/bin/sh
# Fails when a line of a ```cpp block in README.md is not a line of
# examples/transfer_callback.cc: the README quotes the example, it does not
# paraphrase it. Lines with "// ..." mark elisions and are skipped.
#   tests/docs/readme_example_check.sh SOURCE_DIR
set -eu
src=${1:?usage: readme_example_check.sh SOURCE_DIR}
example="$src/examples/transfer_callback.cc"
quoted=$(awk '/^```cpp$/ {on=1; next} /^```$/ {on=0} on' "$src/README.md")
[ -n "$quoted" ] || { echo "README.md quotes no C++ example"; exit 1; }
bad=0
printf '%s\n' "$quoted" | while IFS= read -r line; do
  case "$line" in ''|*'// ...'*) continue ;; esac
  grep -Fxq -- "$line" "$example" || { echo "not in the example: $line"; exit 1; }
done || bad=1
[ "$bad" -eq 0 ] && echo "README quotes examples/transfer_callback.cc: ok"
exit "$bad"
