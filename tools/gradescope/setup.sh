#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (an Ubuntu base
# image; 22.04 is the default and ships Python 3.10). It installs:
#   * a Python of at least 3.11 (the course's pinned NumPy needs it), from apt if need be;
#   * a virtual environment, $ROOT/venv, with the pinned grading requirements;
#   * course_lib, from source/ (a .pth file: the package stays in source/, outside
#     site-packages, so the grader can hide it from graded code while NumPy stays readable);
#   * bubblewrap, the grader's sandbox. Where the container forbids its namespaces the
#     grader falls back to rlimits and Landlock and says so in every result.
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
export DEBIAN_FRONTEND=noninteractive

recent_enough() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null
}

PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && recent_enough "$candidate"; then
        PY=$(command -v "$candidate")
        break
    fi
done

apt-get update -qq
if [ -z "$PY" ]; then
    echo "no Python >= 3.11 on this image: installing python3.11 from apt"
    apt-get install -y -qq python3.11 python3.11-venv
    PY=/usr/bin/python3.11
else
    version=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    apt-get install -y -qq "python${version}-venv" || echo "python${version}-venv not in apt; trying without it"
fi
apt-get install -y -qq bubblewrap \
    || echo "WARNING: bubblewrap could not be installed; the grader will use rlimits and Landlock only" >&2

"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --no-input -r "$SOURCE/requirements.txt"
"$VENV/bin/python" - "$SOURCE" <<'PY'
import pathlib, site, sys
pathlib.Path(site.getsitepackages()[0], "course_lib_source.pth").write_text(sys.argv[1] + "\n")
PY

# Fail the build now, not at the first submission, if anything is missing.
"$VENV/bin/python" -c "import course_lib.grading.grader, course_lib.grading.gradescope; print('course_lib grader ready')"
