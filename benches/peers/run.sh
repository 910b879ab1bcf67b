#!/usr/bin/env bash
# The peer comparison in one command: a venv with the pinned peers of
# benches/peers/requirements.txt (numpy, OpenDP, dp-accounting, pandas), the
# library in release mode, then every area measured in one run
# (benches/peers/run.py) and the table written as Markdown.
#
#   benches/peers/run.sh [--quick] [--out FILE] [--areas noise,tokenization,accounting,aggregation]
#
# --quick uses short iteration counts (a smoke run; figures are noisy). Run
# the full version on a quiet machine for the README's table.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${PEERS_VENV:-benches/peers/.venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r benches/peers/requirements.txt
cargo build --release --quiet
exec "$venv/bin/python" benches/peers/run.py "$@"
