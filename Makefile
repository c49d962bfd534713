# The two commands: `make lab` and `make test`. Everything else is optional.
# Both build .venv from the pinned requirements.txt and reuse it until that file changes.
# `venv`, `lab`, `test` and `dist` run tools/course.py, which is also the way in without
# make (Windows): `python tools/course.py lab` and `python tools/course.py test`.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
JOBS   ?= 2

.PHONY: help venv lab test lint unit notebooks system-deps test-torch bench exercises grade \
        clean autograder grade-demo site slides slide-breaks dist launch-cells hub-link \
        student-branch test-anywhere

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
	@echo "make test-anywhere  every notebook alone in a bare Colab-like environment, two version sets"
	@echo "make dist       the course_lib wheel (with its data) in dist/"
	@echo "make launch-cells  regenerate the lessons' Colab/Binder badges and setup cells"
	@echo "make hub-link HUB=https://hub.example.edu  the nbgitpuller link for a JupyterHub"
	@echo "make student-branch  branch 'student': notebooks/ and exercises/, for nbgitpuller"

# uv installs when it is on PATH or installs into the venv quickly, pip otherwise (a note
# says so); the same pinned versions either way, and pip is in the venv for later steps.
# These prerequisites are tools/course.py's INPUTS too (the way in without make).
$(STAMP): requirements.txt pyproject.toml tools/jupyter_settings.py
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) tools/course.py venv

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
	$(PYTHON) tools/course.py lab $(LAB_ARGS)

lint: venv
	$(BIN)/ruff check .

# Debian's chromium (browser tests), bubblewrap (the grader's sandbox), shellcheck.
system-deps:
	@bash tools/ensure_system_packages.sh

# tools/course.py test: the torch step (what test-torch does, when its stamp is stale),
# system-deps, ruff, then pytest -n $(JOBS) --dist loadfile --nbval --nbval-current-env
# --nbval-sanitize-with tests/sanitize.cfg tests notebooks solutions exercises
test: venv
	JOBS=$(JOBS) TORCH_SPEC="$(TORCH_SPEC)" $(PYTHON) tools/course.py test

bench: venv
	$(BIN)/python bench/bench_functions.py
	@if [ -f bench/bench_grader.py ]; then $(BIN)/python bench/bench_grader.py; fi

exercises: venv
	$(BIN)/python -m course_lib.grading.build_exercises

# Every lesson and exercise notebook, copied alone, in a bare environment of Colab's
# packages, installing the wheel through its setup cell: at the wheel's lowest versions
# and at the course's pins (minutes of kernels: CI runs it after `make test`).
test-anywhere: venv
	COURSE_TEST_ANYWHERE=all $(BIN)/python -m pytest -ra tests/test_anywhere.py

# Colab, Binder and JupyterHub (course_lib/lessons/deploy.py). The repository they point at is
# pyproject.toml's [tool.course]; after changing it run `make launch-cells exercises`.
dist: venv
	$(PYTHON) tools/course.py dist

launch-cells: venv
	$(BIN)/python -m course_lib.lessons.deploy cells

student-branch: venv
	$(BIN)/python -m course_lib.lessons.deploy student-branch

hub-link: venv
	@test -n "$(HUB)" || { echo "usage: make hub-link HUB=https://hub.example.edu"; exit 1; }
	@$(BIN)/python -m course_lib.lessons.deploy hub-link $(HUB)

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
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis dist
