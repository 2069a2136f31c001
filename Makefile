# The README's commands. `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-kubesched
CORE_SOURCES := pyproject.toml CMakeLists.txt $(wildcard src/_core/*)

.PHONY: demo test unit bench controlplane clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# An editable install: Python changes are live; the native core is rebuilt when its sources change.
$(STAMP): $(BIN)/python $(CORE_SOURCES)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(STAMP)
	@mkdir -p out
	$(BIN)/kubesched simulate -f examples/cluster -f examples/workload -o out/demo.json
	@echo "placements written to out/demo.json"

controlplane: $(STAMP)
	$(BIN)/kubesched cluster build

test: $(STAMP) controlplane
	$(BIN)/python -m pytest tests bench --benchmark-disable

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not integration" --benchmark-disable

bench: $(STAMP)
	$(BIN)/python -m pytest bench --benchmark-only --benchmark-columns=median,min,max

clean:
	rm -rf build $(VENV) out
