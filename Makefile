# partnergraph: the two commands of README.md, and a few more.
#   make run    install deps, build, build the default model, start the server
#   make test   install deps, build, run the whole test suite
#   make bench  build and run the benchmarks (writes numbers to stdout; see bench/README.md)
#   make lint   clang-tidy-14 over the sources (LINT_BASE=<rev>: only the .cpp files changed
#               since <rev>; docs/testing.md "Lint")
#   make fuzz   build the libFuzzer targets with clang-14 in build-fuzz and run each for
#               FUZZ_SECONDS (docs/testing.md); `make fuzz -j2` runs two at a time
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DPARTNERGRAPH_WERROR=ON
endif

# The fuzz targets (tests/fuzz/<name>_fuzz.cpp), their build folder and how long `make fuzz`
# runs each. FUZZ_JOBS: compile jobs of the fuzz build. FUZZ_FLAGS: more libFuzzer flags, e.g.
# "-fork=1 -ignore_crashes=1" to keep fuzzing past a crash (each one is still saved).
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= $(JOBS)
FUZZ_FLAGS ?=
FUZZ_TARGETS := csv_reader gzip embeddings graph_io precomputed_answers neighbor_table \
                vector_index model_manifest thrift_request thrift_processor

.PHONY: all deps configure build test test-fast run bench lint sanitize clean \
        fuzz-configure fuzz-build fuzz fuzz-test $(addprefix fuzz-run-,$(FUZZ_TARGETS))

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Every test case (ctest runs each Catch2 case as its own test), then the slow ones, then the
# short fuzz runs (fuzz-test: each target replays its corpus and its regressions, then fuzzes
# for 10 s; docs/testing.md says what it costs).
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900
	@$(MAKE) --no-print-directory fuzz-test

# Only the fast cases (skips the [.slow] entries).
test-fast: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE slow

run: build
	@bash scripts/run.sh $(BUILD_DIR)

bench: build
	@bash scripts/bench.sh $(BUILD_DIR)

# clang-tidy-14 with .clang-tidy through $(BUILD_DIR)/compile_commands.json (scripts/lint.sh):
# every source, or with LINT_BASE=<rev> the .cpp files changed since <rev>. Needs the
# Thrift-generated headers, hence pg_rpc_thrift. LINT_JOBS: clang-tidy processes at a time.
# LINT_PATHS: only the .cpp files under these folders or files ("src/index tests/index").
LINT_BASE ?=
LINT_JOBS ?= $(JOBS)
LINT_PATHS ?=
lint: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target pg_rpc_thrift >/dev/null
	@LINT_JOBS=$(LINT_JOBS) LINT_PATHS="$(LINT_PATHS)" bash scripts/lint.sh $(BUILD_DIR) $(LINT_BASE)

# The sanitizer build (address + undefined) and its test run.
# (The fuzz targets are sanitized builds already: `make test` runs them, this does not.)
sanitize:
	@$(MAKE) build BUILD_DIR=build-asan BUILD_TYPE=Debug \
	  CMAKE_FLAGS="-DPARTNERGRAPH_SANITIZE=address,undefined -DPARTNERGRAPH_BUILD_BENCH=OFF"
	@cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 900

# ---- Fuzzing (docs/testing.md) ----
# The libraries built with clang-14 and -fsanitize=fuzzer-no-link,address,undefined; only the
# fuzz targets and what they link are built.
fuzz-configure: deps
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DPARTNERGRAPH_FUZZ=ON -DPARTNERGRAPH_BUILD_TESTS=OFF -DPARTNERGRAPH_BUILD_BENCH=OFF >/dev/null

fuzz-build: fuzz-configure
	@cmake --build $(FUZZ_BUILD_DIR) -j $(FUZZ_JOBS) --target pg_fuzz_targets

# Replays every seed corpus and regression input, then fuzzes each target for 10 s
# (ctest -L fuzz; PG_FUZZ_CTEST_SECONDS in tests/fuzz/CMakeLists.txt).
fuzz-test: fuzz-build
	@cd $(FUZZ_BUILD_DIR) && ctest -L fuzz --output-on-failure -j $(JOBS)

# Each target for FUZZ_SECONDS. New inputs go to $(FUZZ_BUILD_DIR)/fuzz-corpus/<target>, a crash
# to $(FUZZ_BUILD_DIR)/fuzz-artifacts/<target>/ (copy it to tests/fuzz/regressions/<target>/
# once fixed), the whole log to $(FUZZ_BUILD_DIR)/fuzz-logs/<target>.log.
fuzz: fuzz-build
	@$(MAKE) --no-print-directory $(addprefix fuzz-run-,$(FUZZ_TARGETS))

$(addprefix fuzz-run-,$(FUZZ_TARGETS)): fuzz-run-%:
	@mkdir -p $(FUZZ_BUILD_DIR)/fuzz-corpus/$* $(FUZZ_BUILD_DIR)/fuzz-artifacts/$* \
	  $(FUZZ_BUILD_DIR)/fuzz-logs
	@echo "fuzz: $* for $(FUZZ_SECONDS) s (log: $(FUZZ_BUILD_DIR)/fuzz-logs/$*.log)"
	@regressions=tests/fuzz/regressions/$*; [ -d $$regressions ] || regressions=; \
	artifacts=$(FUZZ_BUILD_DIR)/fuzz-artifacts/$*; touch $$artifacts/.started; \
	$(FUZZ_BUILD_DIR)/tests/fuzz/$*_fuzz -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	  -timeout=25 -print_final_stats=1 $(FUZZ_FLAGS) \
	  -artifact_prefix=$(FUZZ_BUILD_DIR)/fuzz-artifacts/$*/ \
	  $(FUZZ_BUILD_DIR)/fuzz-corpus/$* tests/fuzz/corpus/$* $$regressions \
	  > $(FUZZ_BUILD_DIR)/fuzz-logs/$*.log 2>&1; status=$$?; \
	grep -E '^#[0-9]+([[:space:]]+DONE|: cov)' $(FUZZ_BUILD_DIR)/fuzz-logs/$*.log | tail -1 | \
	  sed 's/^/fuzz: $* /'; \
	found=$$(find $$artifacts -type f -newer $$artifacts/.started | wc -l); \
	if [ $$status -ne 0 ] || [ $$found -ne 0 ]; then \
	  echo "fuzz: $* FAILED (exit $$status, $$found new inputs in $$artifacts/); see the log"; \
	  grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*fuzz check failed|.*deadly signal)' \
	    $(FUZZ_BUILD_DIR)/fuzz-logs/$*.log; \
	  exit 1; \
	fi

clean:
	rm -rf $(BUILD_DIR) build-asan $(FUZZ_BUILD_DIR)
