#!/usr/bin/env bash
# Install PyTorch's CPU build into the test venv. torch is a TEST dependency only:
# tests/test_torch_parity.py compares cross_entropy and its gradient with it. It is never a
# dependency of the course (not in requirements.txt, not in pyproject.toml).
# Usage: install_test_torch.sh VENV_PYTHON [SPEC]   (SPEC default: torch==2.13.0+cpu)
#
# pip, not uv, on purpose: pip finds the CPU wheel in a local wheel folder when
# PIP_FIND_LINKS names one (uv does not look there and would fetch a CUDA build of several
# GB); elsewhere set TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu. --no-deps: calling
# torch.nn.functional needs none of torch's own requirements, and one of them (sympy) would
# replace the pinned mpmath with an older one. Without torch the comparison tests skip with
# a loud reason, and fail under CI=true.
set -u
py=$1
spec=${2:-torch==2.13.0+cpu}
if ! "$py" -m pip --version >/dev/null 2>&1; then
    "$py" -m ensurepip --upgrade >/dev/null 2>&1 || true  # a venv made without pip (uv)
fi
extra=()
[ -n "${TORCH_INDEX_URL:-}" ] && extra=(--extra-index-url "$TORCH_INDEX_URL")
if "$py" -m pip install --quiet --disable-pip-version-check --no-deps \
        ${extra[@]+"${extra[@]}"} "$spec"; then
    exit 0
fi
cat >&2 <<MSG
WARNING: could not install $spec (PyTorch's CPU build, a test-only dependency).
  The tests that compare cross_entropy with PyTorch will SKIP (and FAIL under CI=true).
  Give pip a folder holding the wheel (PIP_FIND_LINKS=/path/to/wheels) or PyTorch's CPU
  index (TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu), then run make test again.
MSG
exit 1
