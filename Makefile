# The README's two commands:
#   make run    install dependencies, build, and run the main job on the built-in sample
#   make test   install dependencies (with the test peers), build, and run the whole test suite
# Other targets: build, debug (ASan/UBSan build + tests), bench, format, clean.
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: run test build deps deps-test debug bench format clean

deps:
	@bash scripts/install-deps

deps-test:
	@bash scripts/install-deps --npm

build:
	cmake --preset $(PRESET) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: deps build
	bash scripts/run-sample-pipeline $(BUILD)/lmforge

test: deps-test build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

debug:
	$(MAKE) test PRESET=debug

bench: deps-test
	$(MAKE) build PRESET=native
	bash bench/run-all build/native/lmforge

format:
	find src tools tests bench -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build
