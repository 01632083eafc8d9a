# swift-mpc: `make test` and `make demo` work on a fresh Debian/Ubuntu machine (they install
# the missing system packages first, with sudo when not root).
SHELL := /bin/bash
APT_PACKAGES := libgmp-dev libsodium-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift

.PHONY: deps build release test lint format demo bench clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The network suite runs on its own: its deadlines are real time, and CPU-heavy suites running
# beside it on a 2-core machine would starve its async tasks into spurious timeouts.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip MPCNetworkTests
	$(SWIFT) test --skip-build --filter MPCNetworkTests

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

demo: deps
	$(SWIFT) build -c release --product mpc
	.build/release/mpc demo $(DEMO_ARGS)

clean:
	rm -rf .build
