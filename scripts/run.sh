#!/usr/bin/env bash
# `make run`: builds the default model from generated data (deterministic, seed 42)
# and starts the server on 127.0.0.1:9090. Re-runs reuse the data and the model.
set -euo pipefail
BUILD_DIR="${1:-build}"
BIN="$BUILD_DIR/src/cli/partnergraph"
SERVER="$BUILD_DIR/server/partnergraph-server"
DATA="$BUILD_DIR/default-data"
MODEL="$BUILD_DIR/default-model"
EVENTS="$BUILD_DIR/default-events"
MERCHANTS="${PG_MERCHANTS:-2000}"
PORT="${PG_PORT:-9090}"

export OMP_WAIT_POLICY=PASSIVE
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"

if [ ! -f "$DATA/merchants.csv" ]; then
  echo "run: generating a synthetic ecosystem of $MERCHANTS merchants into $DATA"
  "$BIN" generate --merchants "$MERCHANTS" --seed 42 --out "$DATA"
fi
if [ -f "$MODEL/manifest.json" ] && ! "$BIN" verify "$MODEL" >/dev/null 2>&1; then
  # Built by an older binary (another format) or damaged: `partnergraph verify` says which file.
  echo "run: the model in $MODEL does not verify with this build; rebuilding it:"
  "$BIN" verify "$MODEL" 2>&1 | head -5 | sed 's/^/run:   /' || true
  rm -rf "$MODEL"
fi
if [ -d "$MODEL" ] && [ ! -f "$MODEL/manifest.json" ]; then
  # Left by an interrupted build of an older partnergraph (builds now write to a staging
  # folder and publish it whole): this folder is run.sh's own, so it starts over.
  echo "run: $MODEL holds no manifest.json (an unfinished build); removing it"
  rm -rf "$MODEL"
fi
if [ ! -f "$MODEL/manifest.json" ]; then
  echo "run: building the default model into $MODEL"
  "$BIN" build --data "$DATA" --out "$MODEL"
fi

if [ ! -x "$SERVER" ]; then
  echo "run: $SERVER is not built; the model is ready in $MODEL:" >&2
  "$BIN" stats "$MODEL"
  exit 1
fi

FIRST_MERCHANT=$(sed -n 2p "$DATA/merchants.csv" | cut -d, -f1)
# A live event to try (docs/events.md): the first customer of the first merchant unsubscribes
# from its newsletter. The file is written once, so that sending it again sends the same event.
FIRST_CUSTOMER=$(awk -F, -v m="$FIRST_MERCHANT" 'NR > 1 && $3 == m { print $2; exit }' "$DATA/orders.csv")
EXAMPLE_EVENTS="$BUILD_DIR/example-events"
if [ ! -f "$EXAMPLE_EVENTS/consent.csv" ]; then
  mkdir -p "$EXAMPLE_EVENTS"
  printf 'customer_id,merchant_id,channel,status,ts,source\n%s,%s,newsletter,unsubscribed,%s,web\n' \
    "$FIRST_CUSTOMER" "$FIRST_MERCHANT" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$EXAMPLE_EVENTS/consent.csv"
fi
cat <<MSG
run: starting partnergraph-server on 127.0.0.1:$PORT (Ctrl-C stops it). Query it with:
  $BIN query --port $PORT health
  $BIN query --port $PORT recommend-partners --merchant $FIRST_MERCHANT -k 10
  $BIN query --port $PORT coupon-pairs --merchant $FIRST_MERCHANT -k 5
  PYTHONPATH=$BUILD_DIR/clients/python:clients/python /usr/bin/python3 clients/python/example.py --port $PORT --merchant $FIRST_MERCHANT
  $BIN query --port $PORT get-merchant --merchant $FIRST_MERCHANT
Record live events (an unsubscription; the log is kept in $EVENTS) and see them applied:
  $BIN events append --port $PORT $EXAMPLE_EVENTS/consent.csv
  $BIN events tail --port $PORT
MSG
exec "$SERVER" --model "$MODEL" --host 127.0.0.1 --port "$PORT" --events "$EVENTS"
