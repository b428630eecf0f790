# Thin wrapper over meson for the two commands README.md starts with:
#   make demo   installs what is missing, builds, shows a real report
#   make test   builds and runs every test, ends with "N passed, M failed"
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build demo test clean format

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
	@status=0; meson test -C $(BUILD) --print-errorlogs || status=$$?; \
	python3 tests/summarize.py $(BUILD)/meson-logs/testlog.json || status=1; \
	exit $$status

format:
	clang-format -i preload/*.[ch] report/*.[ch] samples/*.c tests/*/*.[ch]

clean:
	rm -rf $(BUILD)
