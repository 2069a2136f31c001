# The README's commands. `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-kubesched
CORE_SOURCES := pyproject.toml CMakeLists.txt $(wildcard src/_core/*)

.PHONY: demo test unit bench bench-vbp bench-openb bench-live controlplane oracle browser conformance clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# An editable install: Python changes are live; the native core is rebuilt when its sources change.
# The build requirements go into the venv too, for the README's --no-build-isolation rebuild.
$(STAMP): $(BIN)/python $(CORE_SOURCES)
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires'], sep='\n')" \
	  | $(BIN)/python -m pip install --quiet -r /dev/stdin
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(STAMP)
	@mkdir -p out
	$(BIN)/kubesched simulate -f examples/cluster -f examples/workload --output-file out/demo.json
	@echo "placements written to out/demo.json"

controlplane: $(STAMP)
	$(BIN)/kubesched cluster build

# The differential test's reference: kube-scheduler's own framework in memory (hack/oracle),
# built and checked by its own Go tests. After controlplane, whose Go build cache it reuses.
oracle: $(STAMP) controlplane
	$(BIN)/python -m tests.differential.oracle --test

# The plan report's rendering test drives headless Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
	  || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; } \
	  || echo "warning: could not install chromium; the report rendering test will say it skipped"

test: $(STAMP) controlplane oracle browser
	$(BIN)/python -m pytest tests bench --benchmark-disable

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not integration" --benchmark-disable

bench: $(STAMP)
	$(BIN)/python -m pytest bench --benchmark-only --benchmark-columns=median,min,max

# The full benchmark sweeps behind bench/results/ (minutes to an hour each; data from ../shared/data).
bench-vbp: $(STAMP)
	for set in Panigrahy Triplet New; do $(BIN)/python -m bench.vbp.run --set $$set --time-limit 2 || exit 1; done

bench-openb: $(STAMP)
	$(BIN)/kubesched trace openb --trace all --policy all --seed 42-51 --sweep --workers 2 \
	  --output-file bench/results/openb_fgd.json --table bench/results/openb_fgd.md --plot bench/results/openb_fgd.png

# The live speed bench: its own control plane, 1000 kwok nodes, 5000 pods; kubesched, kube-scheduler
# and the binding ceiling alternating, best of two, then the CPU by kubesched thread (about 10 min).
bench-live: $(STAMP) controlplane
	KUBESCHED_LIVE_NODES=1000 KUBESCHED_LIVE_PODS=5000 $(BIN)/python -m pytest bench/live -m integration -s -p no:cacheprovider

# kubesched against upstream's own scheduler code (hack/oracle) on random scenarios:
#   make conformance SEEDS=0-999 [EXCLUDE=known|family,...]   a tally of divergences by class
#   make conformance SCENARIO=out/differential/seed-17.json   replay one scenario
SEEDS ?= 0-199
EXCLUDE ?=
conformance: $(STAMP) controlplane
	$(BIN)/python -m tests.differential $(if $(SCENARIO),--scenario $(SCENARIO),--seeds $(SEEDS) --quiet) \
	  $(if $(EXCLUDE),--exclude $(EXCLUDE))

clean:
	rm -rf build $(VENV) out
