# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The MNIST file beside the checkout, if there is one; otherwise Keras downloads it.
DATA ?= $(wildcard ../shared/data/mnist.npz)
DATA_ARG := $(if $(DATA),--data $(DATA))
# Real pen handwriting (UNIPEN, CC BY 4.0) beside the checkout, if there is one; without it the
# models train on MNIST alone.
UNIPEN ?= $(wildcard ../shared/data/unipen_dev.npz)
UNIPEN_ARG := $(if $(UNIPEN),--unipen $(UNIPEN))
EPOCHS ?= 20
# Networks trained one after another and shipped as one averaging them (recognizer/model.py's
# build_ensemble); 2 doubles the training time and was measured not to pay (README, "The model").
MEMBERS ?= 1
MODEL ?= recognizer/models/mnist_cnn.keras
# `make web`: where the web page and API listen, and how many worker processes serve them.
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
# `make test`: the suite in this many processes, each test module whole in one of them (its fixtures
# made once); 2, the CI machine's cores, takes it from about 12 to 7 minutes on a slow host.
# TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2

.PHONY: run test lint web train resume train-detector train-touching train-pairs calibrate evaluate bench notebook clean

# The pinned dependencies, then the project itself, editable (no copies): `digit-recognizer` on the
# venv's PATH, and `import recognizer` from any folder (the notebook opened in Jupyter, for one).
$(VENV)/.runtime: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

# The notebook's kernel: this checkout on its path after the launcher's own PYTHONPATH (run_notebook's),
# so that the notebook opened in Jupyter imports bench/ (sections 7-8), which is not installed.
$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --env PYTHONPATH '$${PYTHONPATH}:$(CURDIR)' >/dev/null
	touch $@

run: $(VENV)/.runtime  ## start the app (MNIST, where there is a copy, for learning your handwriting: key L)
	$(BIN)/python app.py $(DATA_ARG)

web: $(VENV)/.runtime  ## the web page and JSON API on http://$(HOST):$(PORT) (HOST, PORT, WORKERS change that)
	$(BIN)/python -m web --host $(HOST) --port $(PORT) --workers $(WORKERS)

lint: $(VENV)/.dev  ## ruff: lint rules and formatting (pinned in requirements-dev.txt, set in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint  ## lint, then the test suite (a few minutes, no full training; TEST_WORKERS processes)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

train: $(VENV)/.runtime  ## train the shipped model from scratch on the CPU (~40 min on 2 cores, idle)
	$(BIN)/python -m recognizer.train $(DATA_ARG) $(UNIPEN_ARG) --epochs $(EPOCHS) --members $(MEMBERS) --out $(MODEL) --overwrite-shipped

resume: $(VENV)/.runtime  ## continue an interrupted `make train` from its last epoch
	$(BIN)/python -m recognizer.train $(DATA_ARG) $(UNIPEN_ARG) --epochs $(EPOCHS) --members $(MEMBERS) --out $(MODEL) --overwrite-shipped --resume

train-detector: $(VENV)/.runtime  ## train the "not a digit" detector (~35 min on 2 cores; RESUME=1 continues)
	$(BIN)/python -m recognizer train-detector $(DATA_ARG) $(UNIPEN_ARG) --overwrite-shipped $(if $(filter 1 yes true,$(RESUME)),--resume)

train-touching: $(VENV)/.runtime  ## train the touching-digits model on real pen writing (UNIPEN; ~10 min; RESUME=1 continues)
	$(BIN)/python -m recognizer train-touching $(DATA_ARG) $(UNIPEN_ARG) --overwrite-shipped $(if $(filter 1 yes true,$(RESUME)),--resume)

train-pairs: $(VENV)/.runtime  ## train the digit-pair reader on real pen writing (UNIPEN; ~7 min; RESUME=1 continues)
	$(BIN)/python -m recognizer train-pairs $(UNIPEN_ARG) --overwrite-shipped $(if $(filter 1 yes true,$(RESUME)),--resume)

calibrate: $(VENV)/.runtime  ## refit the temperature and "not sure" threshold after any retraining
	$(BIN)/python -m recognizer calibrate $(DATA_ARG) $(UNIPEN_ARG) --overwrite-shipped

evaluate: $(VENV)/.runtime  ## accuracy of the shipped model on the MNIST test set
	$(BIN)/python -m recognizer evaluate $(DATA_ARG)

bench: $(VENV)/.dev  ## speed and accuracy figures, written to bench/results.json
	$(BIN)/python -m bench $(DATA_ARG) $(UNIPEN_ARG)

notebook: $(VENV)/.dev  ## rerun the notebook in full mode (~1 h on 2 cores), saving its outputs
	$(BIN)/python -m deeplearning.run_notebook --full $(DATA_ARG) $(UNIPEN_ARG)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache build *.egg-info
