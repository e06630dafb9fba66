#!/usr/bin/env bash
# Benchmarks of the Python package (figures in docs/python.md): one core against
# invisible-watermark's own Python decode, and a Ray Data scan with 1 and 2 workers (images/s,
# memory per worker). Builds and installs the wheel first (python/tests/run.sh --wheel).
#   scripts/bench-python.sh [--images 600] [--repeat 3] [--json out.json]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/fetch-photos.sh"
bash "$root/python/tests/run.sh" --wheel
export RAY_USAGE_STATS_ENABLED=0
exec "$root/.cache/python-venv/bin/python" "$root/python/benches/bench.py" "$@"
