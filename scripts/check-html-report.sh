#!/usr/bin/env bash
# The HTML report in a real browser: `ilsprivacy report --html` on the
# built-in sample, loaded in headless Chromium. Fails unless
#   - the page loads and its DOM holds the report (title, both tables, charts);
#   - the browser logs no console message at all (the page has no script, so
#     any message is a blocked fetch, a policy violation or a parse error);
#   - a screenshot is produced: target/ci-artifacts/report.png (kept, with
#     the page itself, target/ci-artifacts/report.html).
# Usage: scripts/check-html-report.sh [path/to/ilsprivacy]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/ilsprivacy}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "missing tool: chromium (apt-get install -y chromium)" >&2; exit 1; }
[ -x "$bin" ] || { echo "missing program $bin (cargo build --release -p ilsprivacy-cli)" >&2; exit 1; }

art=$PWD/target/ci-artifacts
mkdir -p "$art"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" report --sample-events 200000 --ledger "$work/budget.ledger" --create-ledger \
  --html "$art/report.html" >"$work/report.txt" 2>"$work/report.err" \
  || { cat "$work/report.err" >&2; exit 1; }

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --hide-scrollbars --enable-logging=stderr --v=0)
url="file://$art/report.html"
timeout 120 "$browser" "${flags[@]}" --user-data-dir="$work/profile-dom" \
  --dump-dom "$url" >"$work/dom.html" 2>"$work/dom.log"
rm -f "$art/report.png"
timeout 120 "$browser" "${flags[@]}" --user-data-dir="$work/profile-shot" \
  --window-size=1100,2300 --screenshot="$art/report.png" "$url" >/dev/null 2>"$work/shot.log"

if grep -h ":CONSOLE" "$work/dom.log" "$work/shot.log"; then
  echo "the report page logged console messages (above)" >&2
  exit 1
fi
for want in "Checkouts and loan length per branch" "Items borrowed per format" "<svg" "Budget"; do
  grep -qF "$want" "$work/dom.html" || { echo "the rendered page lacks: $want" >&2; exit 1; }
done
python3 - "$art/report.png" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
width, height = struct.unpack(">II", data[16:24])
assert width >= 1000 and height >= 1000, (width, height)
assert len(data) > 50_000, "the screenshot looks empty"
print(f"screenshot {sys.argv[1]}: {width}x{height}, {len(data)} bytes")
PY
