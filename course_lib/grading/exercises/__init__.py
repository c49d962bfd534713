"""One module per exercise; :mod:`course_lib.grading.registry` finds them by itself.

A module ``<id>.py`` defines ``EXERCISE``, an :class:`~course_lib.grading.model.Exercise`
built from, in this order:

* the exercise's id (the file's name), title, the name of the learner's function, its
  notebook in ``solutions/`` and its place there (1 for the first answer cell);
* ``CONTRACT``: the notebook's contract paragraph (what comes in, what shape and dtype must
  come back), word for word (a test compares them);
* the reference answer, computed with ``course_lib``;
* ``visible(rng)`` and ``hidden(rng)``: the cases, built with :mod:`..cases` so that they
  tell the catalogued mistakes apart (every label says what the case holds, and the check
  promises the hidden labels to the learner);
* ``MISTAKES``: the catalogue, each mistake with its hint and a variant that reproduces it
  (shared ones come from :mod:`..mistakes`).

and, for the tests, ``independent`` (the same answer computed without ``course_lib``).

Adding an exercise means adding one such file: copy ``_template.py`` (a complete, working
exercise; files starting with ``_`` are skipped), and give it ``TEXT`` and ``SOLUTION``, from
which ``make exercises`` writes its cells in ``solutions/``. ``docs/instructor.md`` ("Your
own exercise") lists every rule the tests check.
"""
