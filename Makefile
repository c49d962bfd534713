# The two commands: `make lab` and `make test`. Everything else is optional.
# Both build .venv from the pinned requirements.txt and reuse it until that file changes.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
JOBS   ?= 2
NOTEBOOK_DIRS := $(wildcard notebooks solutions exercises)
# Jupyter refuses to run as root without this flag; machines here often run as root.
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help venv lab test lint unit notebooks system-deps test-torch bench exercises grade \
        clean autograder grade-demo site slides slide-breaks

help:
	@echo "make lab        set up .venv and open the course in JupyterLab"
	@echo "make test       set up .venv, run ruff and every test (unit, notebooks, grader, browser)"
	@echo "make bench      speed, memory and accuracy against scipy and mpmath"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make grade      grade submissions/<student>/*.ipynb into grades/ (SEED=, ONLY=folder)"
	@echo "make grade-demo grade a synthetic class (correct, wrong, hostile) into build/grade-demo/"
	@echo "make autograder build/autograder.zip for Gradescope (EXERCISES=ex03_softmax SEED=N)"
	@echo "make site       build the course site into build/site/ (open build/site/index.html)"
	@echo "make slides     static reveal.js decks into build/slides/ (needs npm for reveal.js)"
	@echo "make slide-breaks  reset the lessons' RISE slide boundaries after editing a lesson"

$(STAMP): requirements.txt pyproject.toml tools/jupyter_settings.py
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3 on PATH)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python tools/jupyter_settings.py $(VENV)
	touch $(STAMP)

venv: $(STAMP)

# PyTorch's CPU build, a TEST dependency only (tests/test_torch_parity.py compares
# cross_entropy with it), installed by pip in a step of its own: see the script. If it
# cannot be installed, make test goes on and those tests skip loudly (fail under CI=true).
TORCH_STAMP := $(VENV)/.torch-installed
TORCH_SPEC  ?= torch==2.13.0+cpu

$(TORCH_STAMP): $(STAMP) tools/install_test_torch.sh
	@bash tools/install_test_torch.sh $(BIN)/python "$(TORCH_SPEC)" && touch $@ || true

test-torch: $(TORCH_STAMP)

lab: venv
	$(BIN)/jupyter lab --ServerApp.root_dir=. $(AS_ROOT) $(LAB_ARGS) notebooks/00_start_here.ipynb

lint: venv
	$(BIN)/ruff check .

# Debian's chromium (browser tests), bubblewrap (the grader's sandbox), shellcheck.
system-deps:
	@bash tools/ensure_system_packages.sh

test: venv test-torch system-deps lint
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile \
	    --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
	    tests $(NOTEBOOK_DIRS)

bench: venv
	$(BIN)/python bench/bench_functions.py
	@if [ -f bench/bench_grader.py ]; then $(BIN)/python bench/bench_grader.py; fi

exercises: venv
	$(BIN)/python -m course_lib.grading.build_exercises

grade: venv
	@bash tools/ensure_system_packages.sh bubblewrap
	$(BIN)/python -m course_lib.grade submissions --out grades \
	    $(if $(SEED),--seed $(SEED)) $(if $(ONLY),--only "$$ONLY")

# The Gradescope bundle (docs/instructor.md): EXERCISES takes exercise ids or notebook names.
EXERCISES ?= all
autograder: venv
	$(BIN)/python tools/build_autograder.py --out build/autograder.zip \
	    --exercises $(EXERCISES) $(if $(SEED),--seed $(SEED))

# A dry run before a term: a generated class graded like a real one.
grade-demo: venv
	@bash tools/ensure_system_packages.sh bubblewrap
	rm -rf build/grade-demo
	$(BIN)/python tools/make_demo_class.py --out build/grade-demo/submissions
	$(BIN)/python -m course_lib.grade build/grade-demo/submissions --out build/grade-demo/grades
	$(BIN)/python tools/make_demo_class.py --out build/grade-demo/submissions \
	    --check build/grade-demo/grades

site: venv
	$(BIN)/python tools/build_site.py --out build/site

slides: venv
	$(BIN)/python tools/build_site.py --slides --out build/slides

slide-breaks: venv
	$(BIN)/python tools/add_slides.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
