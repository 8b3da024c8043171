# partnergraph: the two commands of README.md, and a few more.
#   make run    install deps, build, build the default model, start the server
#   make test   install deps, build, run the whole test suite
#   make bench  build and run the benchmarks (writes numbers to stdout; see bench/README.md)
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DPARTNERGRAPH_WERROR=ON
endif

.PHONY: all deps configure build test test-fast run bench sanitize clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Every test case (ctest runs each Catch2 case as its own test), then the slow ones.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Only the fast cases (skips the [.slow] entries).
test-fast: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE slow

run: build
	@bash scripts/run.sh $(BUILD_DIR)

bench: build
	@bash scripts/bench.sh $(BUILD_DIR)

# The sanitizer build (address + undefined) and its test run.
sanitize:
	@$(MAKE) test BUILD_DIR=build-asan BUILD_TYPE=Debug \
	  CMAKE_FLAGS="-DPARTNERGRAPH_SANITIZE=address,undefined -DPARTNERGRAPH_BUILD_BENCH=OFF"

clean:
	rm -rf $(BUILD_DIR) build-asan
