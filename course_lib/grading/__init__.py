"""The machinery of grading, kept apart from the math of the course.

* :mod:`.exercises`: one module per exercise (contract, reference answer, visible and
  hidden cases, catalogued mistakes), found by :mod:`.registry`;
* :mod:`.model`, :mod:`.cases`, :mod:`.mistakes`, :mod:`.judging`: what an exercise is made
  of, the inputs that tell mistakes apart, the shared mistakes, and the judging (none of
  them names an exercise);
* :mod:`.attempt`: one call of a learner's function, recorded as plain data;
* :mod:`.checks`: ``check(exercise_id, fn)``, the check cell of every exercise notebook, which
  runs the answer cell as grading will (:mod:`.as_graded`);
* :mod:`.policy`: the grading policy in one place (partial credit, required cases, late work);
* :mod:`.written`: written questions, their model answers and rubrics, the answers collected;
* :mod:`.sandbox`: the confined worker that runs graded answer cells;
* :mod:`.grader`: ``python -m course_lib.grade``, a class graded student by student;
* :mod:`.build_exercises`: ``exercises/`` generated from ``solutions/``;
* :mod:`.platforms`, :mod:`.lms`, :mod:`.gradescope`: reading Gradescope and Canvas
  downloads, the CSV Canvas imports, and the run-time of the Gradescope autograder.
"""

from course_lib.grading.checks import check

__all__ = ["check"]
