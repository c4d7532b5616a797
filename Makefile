# Convenience entry points; CMake + Ninja do the work. `make demo` and `make test` are the
# README's quick start: each installs what is missing, builds, and runs.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all setup configure build demo test asan clean

all: build

setup:
	@scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@ninja -C $(BUILD) -j $(JOBS)

demo: build
	@$(BUILD)/tools/kiln/kiln demo

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The unit and conformance tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: setup
	@cmake --preset asan >/dev/null && cmake --build --preset asan -j $(JOBS) && ctest --preset asan

clean:
	rm -rf $(BUILD) build-asan
