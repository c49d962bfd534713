"""course_lib: the reference implementations behind the course "From max to cross-entropy".

>>> from course_lib import softmax
>>> softmax([1, 3, 2]).round(4)
array([0.09  , 0.6652, 0.2447])
"""

from course_lib.functions import (
    argmax,
    hardmax,
    log_softmax,
    logsumexp,
    naive_softmax,
    one_hot,
    sigmoid,
    softmax,
)
from course_lib.losses import cross_entropy, cross_entropy_grad

__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)

__all__ = [
    "argmax",
    "cross_entropy",
    "cross_entropy_grad",
    "hardmax",
    "log_softmax",
    "logsumexp",
    "naive_softmax",
    "one_hot",
    "sigmoid",
    "softmax",
]
