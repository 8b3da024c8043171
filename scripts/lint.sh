#!/usr/bin/env bash
# `make lint`: clang-tidy-14 with the project's .clang-tidy over the project's sources, through
# BUILD_DIR/compile_commands.json (docs/testing.md "Lint").
#
#   scripts/lint.sh [BUILD_DIR] [BASE_REV]
#
# Without BASE_REV: every project source the build compiles (src/, server/, bench/, tests/; not
# the Thrift-generated code), and the warnings in the project's headers (HeaderFilterRegex).
# With BASE_REV: only the .cpp files changed since that revision (`git diff --name-only
# BASE_REV`, the working tree included), and only the warnings in those files and in the
# headers changed since BASE_REV, so that a change is not blamed for an older header.
# Exit status: 0 when clang-tidy reports nothing, 1 when it warns (the warnings and a count per
# check are printed), 2 on a usage or setup error.
# Environment: CLANG_TIDY (default clang-tidy-14), LINT_JOBS (parallel clang-tidy processes,
# default the number of cores; each runs under nice -n 10), LINT_PATHS (space-separated
# folders or files, e.g. "src/index tests/index": only the .cpp files under them are linted,
# with or without BASE_REV; the warnings in headers are filtered as above).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
BASE="${2:-}"
TIDY="${CLANG_TIDY:-clang-tidy-14}"
JOBS="${LINT_JOBS:-$(nproc)}"
DB="$BUILD_DIR/compile_commands.json"

command -v "$TIDY" >/dev/null || { echo "lint: $TIDY is not installed (scripts/install-deps.sh installs it)" >&2; exit 2; }
[ -f "$DB" ] || { echo "lint: $DB is missing: configure first (cmake -S . -B $BUILD_DIR)" >&2; exit 2; }

# The project's sources in the compilation database, relative to the top folder.
mapfile -t ALL < <(/usr/bin/python3 - "$DB" "$PWD" "$(cd "$BUILD_DIR" && pwd)" <<'PY'
import json, os, sys
db, top, build = sys.argv[1], sys.argv[2] + "/", sys.argv[3] + "/"
files = set()
for entry in json.load(open(db)):
    f = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    if f.startswith(top) and not f.startswith(build):
        files.add(f[len(top):])
print("\n".join(sorted(files)))
PY
)

HEADER_FILTER=()
if [ -n "$BASE" ]; then
  git rev-parse -q --verify "$BASE^{commit}" >/dev/null || { echo "lint: $BASE is not a revision" >&2; exit 2; }
  mapfile -t CHANGED < <(git diff --name-only --diff-filter=d "$BASE" -- '*.cpp' '*.hpp')
  FILES=()
  HEADERS=()
  for f in "${CHANGED[@]}"; do
    case "$f" in
      *.hpp) HEADERS+=("$f") ;;
      *.cpp)
        if printf '%s\n' "${ALL[@]}" | grep -qxF "$f"; then
          FILES+=("$f")
        else
          echo "lint: $f is not in $DB (not built in this configuration); skipped"
        fi ;;
    esac
  done
  # Warnings in headers: only those changed since BASE (none: a pattern that matches nothing).
  regex='^$'
  for h in "${HEADERS[@]}"; do regex+="|$(printf '%s' "$h" | sed 's/[.[\*^$()+?{|]/\\&/g')\$"; done
  HEADER_FILTER=(--header-filter="$regex")
  echo "lint: ${#FILES[@]} .cpp file(s) changed since $BASE"
else
  FILES=("${ALL[@]}")
  echo "lint: ${#FILES[@]} files"
fi
if [ -n "${LINT_PATHS:-}" ]; then
  read -r -a PREFIXES <<< "$LINT_PATHS"
  KEPT=()
  for f in "${FILES[@]}"; do
    for p in "${PREFIXES[@]}"; do
      p="${p%/}"
      if [ "$f" = "$p" ] || [ "${f#"$p"/}" != "$f" ]; then KEPT+=("$f"); break; fi
    done
  done
  FILES=("${KEPT[@]}")
  echo "lint: ${#FILES[@]} of them under LINT_PATHS"
fi
[ ${#FILES[@]} -gt 0 ] || { echo "lint: nothing to lint"; exit 0; }

OUT="$(mktemp /tmp/lint.XXXXXX)"
trap 'rm -f "$OUT"' EXIT
# One clang-tidy per file, LINT_JOBS at a time; a file's output is written whole.
printf '%s\0' "${FILES[@]}" |
  xargs -0 -P "$JOBS" -n 1 sh -c 'out=$(nice -n 10 "$@" 2>&1); printf "%s\n" "$out"' sh \
    "$TIDY" -p "$BUILD_DIR" --quiet "${HEADER_FILTER[@]}" > "$OUT" || true

# A header's warning is reported once per file that includes it: keep each warning once.
# A finding located outside the project (a path ending in a system header, e.g. Google
# Benchmark's registration, which hands its object to a registry) is not ours: counted apart.
/usr/bin/python3 - "$OUT" "$PWD" <<'PY'
import collections, os, re, sys
warning = re.compile(r"^(\S+?):(\d+:\d+): (warning|error): (.*?)(?: \[([\w.,-]+)\])?$")
top = sys.argv[2] + "/"
seen, blocks, current, foreign = set(), [], None, 0
for line in open(sys.argv[1], errors="replace"):
    line = line.rstrip("\n")
    m = warning.match(line)
    if m:
        path = os.path.normpath(m.group(1))
        key = (path, m.group(2), m.group(4))
        current = None if key in seen else [line]
        seen.add(key)
        if current is not None and path.startswith("/") and not path.startswith(top):
            foreign += 1
            current = None
        if current is not None:
            blocks.append((m.group(5) or m.group(3), current))
    elif current is not None and not re.match(r"^\d+ warnings? (and \d+ errors? )?generated\.$", line) \
            and not line.startswith("Suppressed ") and not line.startswith("Use -header-filter") \
            and not line.startswith("Error while processing"):
        current.append(line)
for _, lines in blocks:
    print("\n".join(lines))
if foreign:
    print(f"lint: {foreign} finding(s) located in headers outside the project, not counted")
counts = collections.Counter(check for check, _ in blocks)
if counts:
    print(f"\nlint: {len(blocks)} finding(s):")
    for check, n in counts.most_common():
        print(f"  {n:5d} {check}")
    sys.exit(1)
print("lint: clean")
PY
