"""What the lessons use beside the math: widget callbacks, figures, data sets, a small
network, calibration, sampling and the online softmax, and where the lessons run away
from this folder (Colab, Binder, a JupyterHub: :mod:`course_lib.lessons.deploy`). The
math itself lives one level up (:mod:`course_lib.functions`, :mod:`course_lib.losses`)."""
