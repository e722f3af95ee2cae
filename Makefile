# ferry — top-level entry points. Everything installs what it needs first.
#   make run    the main job: a real download through ferryd (private bus, nginx)
#   make test   the whole suite (unit, sim, cases, integration)
PRESET ?= debug
JOBS ?= $(shell nproc)

.PHONY: all deps build test run asan tsan clean format

all: build

deps:
	./scripts/install-deps

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	ctest --preset $(PRESET) -j $(JOBS)

run:
	$(MAKE) build PRESET=release
	./scripts/run-demo build/release

asan:
	$(MAKE) test PRESET=asan

tsan:
	$(MAKE) test PRESET=tsan

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf build
