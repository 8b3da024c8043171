#!/usr/bin/env bash
# `make bench`: runs the benchmarks and prints their figures. Record them by hand in
# bench/RESULTS.md with the machine, the date and this command.
# Sizes: PG_BENCH_MERCHANTS (default "10000 100000"; add 1000000 for the 100M-line run,
# which needs ~17 GB of disk for the CSV and tens of minutes).
set -euo pipefail
BUILD_DIR="${1:-build}"
BIN="$BUILD_DIR/src/cli/partnergraph"
WORK="${PG_BENCH_DIR:-$BUILD_DIR/bench-data}"
export OMP_WAIT_POLICY=PASSIVE
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"
mkdir -p "$WORK"

echo "== ingest + graph build (order lines = 100 x merchants), 2 cores"
for n in ${PG_BENCH_MERCHANTS:-10000 100000}; do
  data="$WORK/gen-$n"
  [ -f "$data/orders.csv" ] || "$BIN" generate --merchants "$n" --seed 42 --out "$data" >/dev/null
  uptime
  /usr/bin/time -f "merchants=$n wall=%e s peak_rss=%M KiB" \
    "$BIN" build --data "$data" --out "$WORK/model-$n" --graph-only --json > "$WORK/build-$n.json"
  /usr/bin/python3 scripts/bench_build_report.py "$WORK/build-$n.json"
done

echo "== ANN recall and latency (index_bench)"
"$BUILD_DIR/bench/index_bench" --n 100000 --queries 1000
echo "== embeddings (embed_bench)"
"$BUILD_DIR/bench/embed_bench"
echo "== attribution (attribution_bench)"
"$BUILD_DIR/bench/attribution_bench" --dir "$WORK/journeys" --sizes 1000000
