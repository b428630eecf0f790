# Thin wrapper over meson for the two commands README.md starts with:
#   make demo   installs what is missing, builds, shows a real report
#   make test   builds and runs every test, ends with "N passed, M failed"
#   make bench  the benchmark table (tests/bench), a few minutes
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build demo test bench field clean format

all: build

deps:
	@.ci/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	@meson compile -C $(BUILD)

demo: build
	@echo
	@echo '$$ lockgraph run -- $(BUILD)/samples/bank_transfer'
	@status=0; $(BUILD)/report/lockgraph run -- $(BUILD)/samples/bank_transfer || status=$$?; \
	echo; \
	if [ $$status -eq 66 ]; then \
		echo "lockgraph exited with status 66: it found a deadlock (the one bank_transfer has)."; \
		echo "Try '$(BUILD)/report/lockgraph run -- $(BUILD)/samples/bank_transfer --fixed': no report, status 0."; \
	else \
		echo "lockgraph exited with status $$status, expected 66 (found a deadlock)"; exit 1; \
	fi

test: build
	@.ci/install-deps test
	@status=0; meson test -C $(BUILD) --print-errorlogs || status=$$?; \
	python3 tests/summarize.py $(BUILD)/meson-logs/testlog.json || status=1; \
	exit $$status

# lockgraph beside native runs, the cheapest interposer, ThreadSanitizer and
# Helgrind; the table goes to the terminal and to $(BUILD)/bench/.
# BENCH_OPTS passes more (e.g. --reps 3 --cases uncontended,nested).
BENCH_OPTS ?=
bench: build
	@b=$(BUILD)/tests/bench; \
	tsan=; [ -x $$b/bench_tsan ] && tsan="--bench-tsan $$b/bench_tsan"; \
	python3 tests/bench/run_bench.py --bench $$b/bench $$tsan \
		--lib $(BUILD)/preload/liblockgraph.so --lockgraph $(BUILD)/report/lockgraph \
		--floor $$b/floor_preload.so --measure $$b/measure --out $(BUILD)/bench $(BENCH_OPTS)

# lockgraph on real programs (tests/field/README.md): installs them, runs
# each natively, preloaded and under lockgraph run, checks their results and
# measures; the table goes to the terminal and to $(BUILD)/field/.
# FIELD_OPTS passes more (e.g. --reps 3 --programs pigz,redis).
FIELD_OPTS ?=
field: build
	@.ci/install-deps $$(python3 tests/field/run_field.py --list-packages)
	@python3 tests/field/run_field.py --lockgraph $(BUILD)/report/lockgraph \
		--lib $(BUILD)/preload/liblockgraph.so --measure $(BUILD)/tests/bench/measure \
		--out $(BUILD)/field $(FIELD_OPTS)

format:
	clang-format -i preload/*.[ch] report/*.[ch] samples/*.c tests/*/*.[ch]

clean:
	rm -rf $(BUILD)
