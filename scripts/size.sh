#!/usr/bin/env bash
# Transfer size of the built console (dist/), gzip -9, in two figures:
#  - first screen: what index.html loads before a query from a link can run (html, js, wasm, css);
#  - whole console: every js, wasm and css file in the build (plus index.html).
set -euo pipefail
DIST="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/dist}"
gz() { gzip -9c "$1" | wc -c; }

# The first screen is index.html plus every file it references.
first=$(gz "$DIST/index.html")
for f in $(grep -oE '(href|src|module_or_path: )=?"?'"'"'?\./[^"'"'"' ]+' "$DIST/index.html" | sed -E 's/.*\.\///' | sort -u); do
  case "$f" in *.js|*.wasm|*.css) first=$((first + $(gz "$DIST/$f"))) ;; esac
done
whole=$(gz "$DIST/index.html")
for f in "$DIST"/*.js "$DIST"/*.wasm "$DIST"/*.css; do
  [ -e "$f" ] && whole=$((whole + $(gz "$f")))
done
printf 'console size (gzip -9): first screen %d B (%.1f KB), whole console %d B (%.1f KB)\n' \
  "$first" "$(awk "BEGIN{print $first/1000}")" "$whole" "$(awk "BEGIN{print $whole/1000}")"
