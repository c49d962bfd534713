"""The grader's command: ``python -m course_lib.grade SUBMISSIONS... --out DIR``.

The machinery lives in :mod:`course_lib.grading.grader`; this module only names the command.
"""

import sys

from course_lib.grading.grader import main

if __name__ == "__main__":
    sys.exit(main())
