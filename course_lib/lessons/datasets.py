"""Small data sets the course makes itself: a 2-D spiral and 8x8 digit-like glyphs.

Nothing here downloads anything. Every generator takes a ``seed`` and builds its own
``numpy.random.Generator`` from it, so the same arguments always give the same arrays.

- :func:`spiral` gives points in the plane, arranged in interleaved arms, one arm per class.
  No straight line separates the arms, which is exactly what lesson 06 needs to show why a
  hidden layer helps.
- :func:`digits` gives noisy, shifted 8x8 images of the ten digits drawn from a 5x7 pixel
  font, the course's stand-in for the 28x28 images that a Keras
  ``Flatten -> Dense(128, relu) -> Dense(10, softmax)`` model usually sees.
- :func:`train_test_split` shuffles and splits any of them, seeded as well.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DIGIT_FONT", "digit_templates", "digits", "spiral", "train_test_split"]


def _check_count(value: int, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return int(value)


def _check_noise(noise: float) -> float:
    noise = float(noise)
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number of at least 0, got {noise!r}")
    return noise


def spiral(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Points on interleaved spiral arms, one arm per class.

    Each arm starts at the origin and winds outwards: point ``i`` of arm ``k`` sits at radius
    ``r = i / (n_per_class - 1)`` and angle ``4 * (k + r)`` radians (about 0.64 turns per arm)
    plus Gaussian noise of standard deviation ``noise`` on the angle.

    Parameters
    ----------
    n_per_class : int, optional
        Points per arm (default 100), at least 2.
    n_classes : int, optional
        Number of arms, i.e. classes (default 3), at least 2.
    noise : float, optional
        Standard deviation of the angle noise in radians (default 0.2); 0 gives clean arms.
    seed : int, optional
        Seed of the random generator (default 0).

    Returns
    -------
    X : ndarray of float64, shape (n_per_class * n_classes, 2)
        The points, inside the unit disc up to the noise; arm ``k`` occupies rows
        ``k * n_per_class`` to ``(k + 1) * n_per_class - 1``.
    y : ndarray of int64, shape (n_per_class * n_classes,)
        The class (arm) of each point, ``0 .. n_classes - 1``.

    Examples
    --------
    >>> X, y = spiral(n_per_class=50, n_classes=3, noise=0.1, seed=1)
    >>> X.shape, y.shape, np.bincount(y).tolist()
    ((150, 2), (150,), [50, 50, 50])
    >>> bool(np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12))
    True
    """
    n = _check_count(n_per_class, "n_per_class", 2)
    k = _check_count(n_classes, "n_classes", 2)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n), k)
    y = np.repeat(np.arange(k, dtype=np.int64), n)
    angle = 4.0 * (y + r) + noise * rng.standard_normal(n * k)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    return X, y


# A 5x7 pixel font of the ten digits ('#' is ink). Drawn for this course.
DIGIT_FONT: dict[int, tuple[str, ...]] = {
    0: (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    1: ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
    2: (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    3: ("#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."),
    4: ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    5: ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    6: ("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
    7: ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    8: (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    9: (".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
}


def digit_templates() -> np.ndarray:
    """The ten clean 8x8 digit images, ink 1.0 on background 0.0.

    The 5x7 glyph of :data:`DIGIT_FONT` is placed at rows 0..6 and columns 1..5 of an
    8x8 canvas, leaving a margin for the random shifts of :func:`digits`.

    Returns
    -------
    ndarray of float64, shape (10, 8, 8)
        ``digit_templates()[d]`` is the digit ``d``.

    Examples
    --------
    >>> t = digit_templates()
    >>> t.shape, t[1].sum().item()
    ((10, 8, 8), 10.0)
    """
    out = np.zeros((10, 8, 8))
    for d, rows in DIGIT_FONT.items():
        glyph = np.array([[c == "#" for c in row] for row in rows], dtype=np.float64)
        out[d, 0:7, 1:6] = glyph
    return out


def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move an image by (dy, dx) pixels, filling the uncovered border with 0."""
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def digits(
    n_per_class: int = 100, noise: float = 0.3, max_shift: int = 1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 8x8 images of the digits 0-9, made from :func:`digit_templates`.

    Each image is one template, moved by a random whole number of pixels (at most
    ``max_shift`` in each direction, the border filled with 0), with its ink scaled by a
    random brightness in [0.6, 1.0], plus Gaussian pixel noise of standard deviation
    ``noise``, and finally clipped to [0, 1].

    Parameters
    ----------
    n_per_class : int, optional
        Images per digit (default 100).
    noise : float, optional
        Standard deviation of the pixel noise (default 0.3).
    max_shift : int, optional
        Largest shift in pixels, up/down and left/right (default 1; 0 keeps every image centred).
    seed : int, optional
        Seed of the random generator (default 0).

    Returns
    -------
    images : ndarray of float64, shape (10 * n_per_class, 8, 8)
        Pixel values in [0, 1], in a shuffled order.
    labels : ndarray of int64, shape (10 * n_per_class,)
        The digit each image shows.

    Examples
    --------
    >>> images, labels = digits(n_per_class=20, seed=3)
    >>> images.shape, labels.shape, np.bincount(labels).tolist() == [20] * 10
    ((200, 8, 8), (200,), True)
    >>> float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    True
    """
    n = _check_count(n_per_class, "n_per_class")
    noise = _check_noise(noise)
    max_shift = _check_count(max_shift, "max_shift", 0)
    if max_shift > 3:
        raise ValueError(f"max_shift must be at most 3 on an 8x8 canvas, got {max_shift}")
    rng = np.random.default_rng(seed)
    templates = digit_templates()
    labels = rng.permutation(np.repeat(np.arange(10, dtype=np.int64), n))
    shifts = rng.integers(-max_shift, max_shift + 1, size=(labels.size, 2))
    brightness = rng.uniform(0.6, 1.0, size=labels.size)
    images = np.empty((labels.size, 8, 8))
    for i, (d, (dy, dx), b) in enumerate(zip(labels, shifts, brightness, strict=True)):
        images[i] = b * _shift(templates[d], int(dy), int(dx))
    images += noise * rng.standard_normal(images.shape)
    np.clip(images, 0.0, 1.0, out=images)
    return images, labels


def train_test_split(
    X: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows of ``X`` and ``y`` together and split off a test part.

    Parameters
    ----------
    X, y : array_like
        Inputs and labels with the same first dimension. Neither is modified.
    test_fraction : float, optional
        Share of the rows that goes to the test part (default 0.25), strictly between 0 and 1;
        the test part gets ``round(test_fraction * len(X))`` rows.
    seed : int, optional
        Seed of the shuffle (default 0).

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        New arrays (copies), in the order scikit-learn uses.

    Examples
    --------
    >>> X, y = spiral(n_per_class=10, n_classes=2)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25)
    >>> X_train.shape, X_test.shape, y_train.shape, y_test.shape
    ((15, 2), (5, 2), (15,), (5,))
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.shape[:1] != y.shape[:1]:
        raise ValueError(
            f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}"
        )
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    n_test = int(round(test_fraction * len(X)))
    if not 0 < n_test < len(X):
        raise ValueError(
            f"splitting {len(X)} rows with test_fraction={test_fraction} leaves one part empty"
        )
    order = np.random.default_rng(seed).permutation(len(X))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
