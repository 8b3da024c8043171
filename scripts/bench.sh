#!/usr/bin/env bash
# `make bench`: runs the benchmarks and prints their figures (bench/README.md). Record them by
# hand in bench/RESULTS.md with the machine, the date and this command.
# Sizes: PG_BENCH_MERCHANTS (default "10000 100000"; add 1000000 for the 100M-line run,
# which needs ~17 GB of disk for the CSV and tens of minutes).
# PG_BENCH_MODEL=1: also build a whole model of the first size and run recommend_bench (partners
# and coupons p50/p99) and scripts/serve_bench.sh (load_generator: QPS and latency at 1, 8, 64
# and 256 connections) on it.
# Extra flags of the micro benchmarks (e.g. --benchmark_format=json): PG_BENCH_FLAGS.
set -euo pipefail
BUILD_DIR="${1:-build}"
BIN="$BUILD_DIR/src/cli/partnergraph"
WORK="${PG_BENCH_DIR:-$BUILD_DIR/bench-data}"
read -r -a FLAGS <<< "${PG_BENCH_FLAGS:-}"
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
"$BUILD_DIR/bench/index_bench" --n 100000 --queries 1000 "${FLAGS[@]}"
echo "== embeddings (embed_bench)"
"$BUILD_DIR/bench/embed_bench" "${FLAGS[@]}"
echo "== attribution (attribution_bench)"
"$BUILD_DIR/bench/attribution_bench" --dir "$WORK/journeys" --sizes 1000000 "${FLAGS[@]}"

if [ "${PG_BENCH_MODEL:-0}" = 1 ]; then
  read -r n _ <<< "${PG_BENCH_MERCHANTS:-10000 100000}"
  model="$WORK/full-model-$n"
  if [ ! -f "$model/config.json" ]; then
    echo "== whole model build ($n merchants)"
    /usr/bin/time -f "merchants=$n wall=%e s peak_rss=%M KiB" \
      "$BIN" build --data "$WORK/gen-$n" --out "$model" >/dev/null
  fi
  echo "== recommenders in process (recommend_bench, $n merchants)"
  "$BUILD_DIR/bench/recommend_bench" --model "$model" --queries 10000 --recall-queries 1000 \
    "${FLAGS[@]}"
  echo "== serving (scripts/serve_bench.sh: load_generator against partnergraph-server)"
  bash scripts/serve_bench.sh --build "$BUILD_DIR" --model "$model" --merchants "$n" \
    --sections "recall targets" --duration 5
fi
