# ferry — top-level entry points. Everything installs what it needs first.
#   make run    the main job: a real download through ferryd (private bus, nginx);
#               builds only ferryd and ferry
#   make test   the whole suite (unit, sim, cases, integration)
#   make bench  ferry against curl, wget2 and aria2c, and in the swarm (scenario
#               7) against libtorrent with the origin as web seed (bench/README.md);
#               SCENARIO=1,3 runs only those, BENCH_QUICK=1 a shorter run
#   make fuzz   every libFuzzer target (tests/fuzz) for FUZZ_SECONDS each (clang
#               `fuzz` preset); fails on any crash, leak or sanitizer report
PRESET ?= debug
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 30

.PHONY: all deps build test run bench asan tsan fuzz clean format

all: build

deps:
	./scripts/install-deps

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	ctest --preset $(PRESET) -j $(JOBS)

# Builds only what the demo runs (ferryd and ferry), not the tests and benches.
run: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target ferryd ferry
	./scripts/run-demo build/release

bench:
	./scripts/install-bench-deps
	$(MAKE) build PRESET=release
	/usr/bin/python3 bench/run.py --build-dir build/release $(if $(SCENARIO),--only $(SCENARIO))

asan:
	$(MAKE) test PRESET=asan

tsan:
	$(MAKE) test PRESET=tsan

fuzz: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target fuzzers
	./tests/fuzz/run $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf build
