# swift-mpc: `make test` and `make demo` work on a fresh Debian/Ubuntu machine (they install
# the missing system packages first, with sudo when not root).
SHELL := /bin/bash
APT_PACKAGES := libgmp-dev libsodium-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT ?= swift
# Our own targets build with warnings as errors (SwiftPM's native build system passes the flag
# to this package's targets only; dependencies keep -suppress-warnings, and a package that
# depends on ours is not affected: nothing is in Package.swift) and with the explicit target
# dependency import check (an `import X` of a target not listed among the dependencies fails).
STRICT := -Xswiftc -warnings-as-errors --explicit-target-dependency-import-check error

.PHONY: deps test-deps build release test lint format demo docs bench clean fuzz fuzz-smoke fuzz-replay

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# The tests also render the audit report in headless Chromium (a screenshot) when it can be
# installed; without it that one check is skipped with a note.
TEST_APT_PACKAGES := chromium

test-deps: deps
	@missing=""; for p in $(TEST_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing test packages:$$missing"; \
	  ( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing ) \
	    || echo "note: could not install$$missing; the report's browser check will be skipped"; \
	fi

build: deps
	$(SWIFT) build $(STRICT)

release: deps
	$(SWIFT) build -c release

# The network suite runs on its own: its deadlines are real time, and CPU-heavy suites running
# beside it on a 2-core machine would starve its async tasks into spurious timeouts.
test: test-deps
	$(SWIFT) build --build-tests $(STRICT)
	$(SWIFT) test --skip-build --skip MPCNetworkTests
	$(SWIFT) test --skip-build --filter MPCNetworkTests
	$(MAKE) --no-print-directory fuzz-replay

# Fuzzing (libFuzzer + AddressSanitizer) of every decoder of untrusted bytes: link frames,
# handshake messages, the message codec, study and query files, CSV and vector inputs, ledger
# files. Seeds come from vectors/; the corpus grows in .build/fuzz-corpus. FUZZ_SECONDS per target.
FUZZ_TARGETS := frames handshake codec study query csv vector ledger
FUZZ_SECONDS ?= 120
# debug (default) or release: the optimised harness runs about 5-10 times more inputs per second.
FUZZ_CONFIG ?= debug
FUZZ_BUILD := .build/fuzz/$(FUZZ_CONFIG)/mpc-fuzz

$(FUZZ_BUILD): deps
	$(SWIFT) build -c $(FUZZ_CONFIG) --product mpc-fuzz --scratch-path .build/fuzz \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING

# LeakSanitizer cannot see references kept in Swift enum payloads (spare pointer bits), so the
# harness's own one-time-initialised globals (`_WZ` initialisers) read as leaks: suppressed.
fuzz: $(FUZZ_BUILD) fuzz-replay
	@printf 'leak:_WZ\n' > .build/fuzz-lsan.supp
	@set -o pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p .build/fuzz-corpus/$$t .build/fuzz-artifacts; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  MPC_FUZZ_TARGET=$$t SWIFT_BACKTRACE=enable=no \
	    ASAN_OPTIONS=malloc_context_size=100 LSAN_OPTIONS=suppressions=$(CURDIR)/.build/fuzz-lsan.supp \
	    $(FUZZ_BUILD) -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=.build/fuzz-artifacts/$$t- .build/fuzz-corpus/$$t .build/fuzz-seeds/$$t \
	    Tests/FuzzRegressions/$$t 2>&1 | grep -E '^stat::number_of_executed_units|ERROR|SUMMARY|Test unit' \
	    || exit 1; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10

# Replays the seeds and every input a fuzzer once crashed on (Tests/FuzzRegressions) through
# the plain build: part of `make test`.
fuzz-replay: deps
	$(SWIFT) build --product mpc-fuzz $(STRICT)
	.build/debug/mpc-fuzz seeds vectors .build/fuzz-seeds > /dev/null
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p Tests/FuzzRegressions/$$t; \
	  .build/debug/mpc-fuzz $$t .build/fuzz-seeds/$$t Tests/FuzzRegressions/$$t || exit 1; \
	done

# swift-format's lint, then a check that README's embedding example is, token for token, the
# code ReadmeExampleTests compiles and runs.
lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests
	python3 .ci/check-readme-example.py

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

demo: deps
	$(SWIFT) build -c release --product mpc
	.build/release/mpc demo $(DEMO_ARGS)

# API documentation of every library: one DocC catalog per library (Sources/X/X.docc), symbol
# graphs from the build, docc from the toolchain; every unresolved link or warning fails.
# Archives land in .build/docs/X.doccarchive. No network, no plugin.
DOC_TARGETS := MPCBigInt MPCCrypto MPCField MPCSharing MPCPrivacy MPCProtocol MPCNetwork MPCVectors
DOCC ?= $(shell command -v docc 2>/dev/null || echo "$$(dirname "$$(readlink -f "$$(command -v swift)")")/docc")
TRIPLE = $(shell $(SWIFT) -print-target-info | python3 -c 'import json,sys; print(json.load(sys.stdin)["target"]["unversionedTriple"])')
docs: deps
	$(SWIFT) package $(STRICT) dump-symbol-graph --minimum-access-level public
	@set -e; graphs=.build/$(TRIPLE)/symbolgraph; mkdir -p .build/docs; \
	for t in $(DOC_TARGETS); do \
	  rm -rf .build/docs-symbols/$$t && mkdir -p .build/docs-symbols/$$t; \
	  cp $$graphs/$$t.symbols.json .build/docs-symbols/$$t/; \
	  cp $$graphs/$$t@*.symbols.json .build/docs-symbols/$$t/ 2>/dev/null || true; \
	  echo "docc convert $$t"; \
	  $(DOCC) convert Sources/$$t/$$t.docc --additional-symbol-graph-dir .build/docs-symbols/$$t \
	    --fallback-display-name $$t --fallback-bundle-identifier org.swift-mpc.$$t \
	    --output-path .build/docs/$$t.doccarchive --warnings-as-errors; \
	done

clean:
	rm -rf .build
