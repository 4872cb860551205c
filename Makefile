# The README's two commands:
#   make run    install dependencies, build, and run the main job on the built-in sample
#   make test   install dependencies (with the test peers), build, and run the whole test suite
# Other targets: build, debug (ASan/UBSan build + tests), bench, format, clean, and
#   make test-unit     the quick unit tests alone (CTest label `unit`; well under a minute)
#   make test-label L=oracle   one label: unit, oracle, golden, slow, mpi, format
#   make format-check  clang-format --dry-run --Werror over src tools tests bench
#   make tidy          clang-tidy's naming checks (.clang-tidy); FILES=... to pick files
PRESET ?= release
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: run test test-unit test-label build deps deps-test debug bench format format-check \
	tidy clean

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

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 120 -L '^unit$$'

test-label: deps-test build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900 -L '^$(L)$$'

debug:
	$(MAKE) test PRESET=debug

bench: deps-test
	$(MAKE) build PRESET=native
	bash bench/run-all build/native/lmforge

CLANG_FORMAT ?= $(shell command -v clang-format-14 || command -v clang-format)
CLANG_TIDY ?= $(shell command -v clang-tidy-14 || command -v clang-tidy)
FORMAT_FILES = find src tools tests bench \( -name '*.cc' -o -name '*.h' \) -not -path '*/node_modules/*'

format:
	$(FORMAT_FILES) | xargs $(CLANG_FORMAT) -i

format-check:
	$(FORMAT_FILES) | xargs $(CLANG_FORMAT) --dry-run --Werror

# Naming checks only (.clang-tidy), on the compile commands of the release build.
FILES ?= $(shell find src tools -name '*.cc')
tidy:
	cmake --preset $(PRESET) >/dev/null
	$(CLANG_TIDY) -p $(BUILD) --quiet $(FILES)

clean:
	rm -rf build
