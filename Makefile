# Two commands: `make demo` (the main job) and `make test` (the whole test suite).
# Both create the virtual environment .venv if it is missing. PyTorch is pinned to the
# CPU build 2.13.0 through constraints.txt, installed first, so nothing pulls the
# multi-GB CUDA build.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo_out

.PHONY: demo test install bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt torch
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,pybdsf]" "regions>=0.7"
	# breizorro's masking function needs only numpy/scipy/astropy/regions; its declared
	# dependencies (the stimela workflow framework) would downgrade psutil and pydantic.
	$(BIN)/python -m pip install --quiet --no-deps "breizorro>=0.2"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/radio-unet demo --out $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q --timeout=900 --durations=15

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_observe.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_segment.py --model default --npix 2000 --repeats 2
	$(BIN)/python benchmarks/bench_targets.py --n 8

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
