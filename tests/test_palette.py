"""The course's colours stay apart for readers with deuteranopia or protanopia.

Colour-vision deficiencies are simulated with the matrices of Machado, Oliveira and Fernandes
(2009, "A physiologically-based model for simulation of color vision deficiency", IEEE TVCG
15(6)), severity 1.0, applied to linear sRGB; the numbers are the paper's. Distances are
CIEDE2000 in CIELAB (D65). ColorAide (an independent library) checks both: its own Machado
filter must agree with ours, and its CIEDE2000 must give the published values of Sharma, Wu
and Dalal's test pairs (2005, Color Res. Appl. 30(1)).

What is plotted is checked too: the figures of ``course_lib`` use only the palette and
neutrals, and a lesson's code names no other colour.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from coloraide import Color  # noqa: E402

from course_lib.lessons import plots  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))

# Machado et al. (2009), Table of simulation matrices, severity 1.0 (linear RGB in, out).
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}
VISIONS = ("normal vision", "deuteranopia", "protanopia")
MIN_DELTA_E = 15.0  # CIEDE2000: plainly different side by side, even as thin lines
MIN_CONTRAST = 3.0  # WCAG 2.1 SC 1.4.11: graphical objects against the white page
NEUTRALS = {"black", "white", "gray", "grey", "lightgray", "lightgrey", "k", "w"}


def _linear(hex_colour: str) -> np.ndarray:
    srgb = np.array(mcolors.to_rgb(hex_colour))
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def simulate(hex_colour: str, vision: str) -> Color:
    """How a colour looks with ``vision``: Machado's matrix on linear sRGB, back to sRGB."""
    if vision == "normal vision":
        return Color(hex_colour)
    rgb = _encode(MACHADO[vision] @ _linear(hex_colour))
    return Color("srgb", list(rgb))


def distances(colours: list[str], vision: str) -> dict[tuple[str, str], float]:
    seen = {c: simulate(c, vision) for c in colours}
    return {(a, b): seen[a].delta_e(seen[b], method="2000")
            for a, b in itertools.combinations(colours, 2)}


def contrast_with_white(hex_colour: str) -> float:
    """WCAG 2.1 contrast ratio against white, from the relative luminance formula."""
    luminance = float(np.array([0.2126, 0.7152, 0.0722]) @ _linear(hex_colour))
    return 1.05 / (luminance + 0.05)


# --- the tools first: our simulation and ColorAide's distance are right ---------------------


@pytest.mark.parametrize("vision,filter_name", [("deuteranopia", "deutan"),
                                                ("protanopia", "protan")])
def test_our_simulation_agrees_with_coloraides_machado_filter(vision, filter_name) -> None:
    for colour in (*plots.COLORS, "#ff0000", "#00ff00", "#777777", "#E69F00"):
        ours = simulate(colour, vision)
        theirs = Color(colour).filter(filter_name, method="machado").convert("srgb").clip()
        assert ours.delta_e(theirs, method="2000") < 0.5, colour


def test_a_grey_looks_the_same_to_everyone() -> None:
    # each Machado matrix's rows sum to 1: neutrals are unchanged
    for vision in MACHADO:
        assert simulate("#777777", vision).delta_e(Color("#777777"), method="2000") < 0.5


@pytest.mark.parametrize("lab1,lab2,expected", [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
])
def test_ciede2000_matches_sharmas_published_pairs(lab1, lab2, expected) -> None:
    got = Color("lab-d65", list(lab1)).delta_e(Color("lab-d65", list(lab2)), method="2000")
    assert got == pytest.approx(expected, abs=1e-4)


def test_the_check_catches_a_palette_that_collapses() -> None:
    """matplotlib's default tab10 blue/orange/green: orange and green merge for protanopes."""
    tab10 = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    assert min(distances(tab10, "protanopia").values()) < MIN_DELTA_E
    assert min(distances(tab10, "normal vision").values()) > MIN_DELTA_E


# --- the palette -----------------------------------------------------------------------------


@pytest.mark.parametrize("vision", VISIONS)
def test_every_two_course_colours_stay_apart(vision) -> None:
    colours = [*plots.COLORS, "#000000"]  # black draws the references beside them
    d = distances(colours, vision)
    (a, b), worst = min(d.items(), key=lambda item: item[1])
    assert worst >= MIN_DELTA_E, f"{a} and {b} are {worst:.1f} apart with {vision}"


def test_every_course_colour_stands_out_from_the_page() -> None:
    for colour in plots.COLORS:
        assert contrast_with_white(colour) >= MIN_CONTRAST, colour
    assert contrast_with_white(plots.EDGE) >= 4.5
    # the formula itself, on WCAG's own extremes
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)


def test_importing_plots_makes_the_palette_matplotlibs_cycle() -> None:
    cycle = plt.rcParams["axes.prop_cycle"].by_key()
    assert [mcolors.to_hex(c) for c in cycle["color"]] == [c.lower() for c in plots.COLORS]
    assert len(set(cycle["linestyle"])) == len(plots.COLORS), "each colour its own line style"
    assert len(set(plots.MARKERS)) == len(set(plots.HATCHES)) == len(plots.COLORS)


# --- what is plotted --------------------------------------------------------------------------


def _chromatic(colour) -> str | None:
    """The hex of a colour that is not a grey (saturation above 0.15), else None."""
    rgba = mcolors.to_rgba(colour)
    if rgba[3] == 0:
        return None
    h, s, v = mcolors.rgb_to_hsv(np.array(rgba[:3]))
    return mcolors.to_hex(rgba[:3]) if s > 0.15 and v > 0.05 else None


def _plotted_colours(fig) -> set[str]:
    found: set[str] = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            found.add(_chromatic(line.get_color()))
        for patch in ax.patches:
            found.add(_chromatic(patch.get_facecolor()))
            found.add(_chromatic(patch.get_edgecolor()))
        for coll in ax.collections:
            for c in [*coll.get_facecolors(), *coll.get_edgecolors()]:
                found.add(_chromatic(c))
    return found - {None}


def _helper_figures():
    from course_lib.lessons.calibration import reliability_bins
    from course_lib.lessons.datasets import spiral
    from course_lib.lessons.nn import History
    from course_lib.lessons.sampling import cutoff_bars

    X, y = spiral(n_per_class=20, n_classes=3)
    fig, ax = plt.subplots()
    plots.plot_decision_regions(ax, lambda P: (P[:, 0] > 0).astype(int) + (P[:, 1] > 0),
                                X, y, resolution=30)
    yield "decision regions", fig
    h = History(loss=[1.0, 0.5], accuracy=[0.3, 0.6], val_loss=[1.1, 0.7],
                val_accuracy=[0.3, 0.5])
    fig, ax = plt.subplots()
    plots.plot_history(ax, {"a": h, "b": h, "c": h}, validation=True)
    yield "history", fig
    fig, ax = plt.subplots()
    plots.plot_bars(ax, [0.2, 0.8], highlight=1)
    yield "bars", fig
    probs = np.array([[0.95, 0.05], [0.15, 0.85], [0.75, 0.25], [0.35, 0.65]])
    fig, ax = plt.subplots()
    plots.plot_reliability(ax, reliability_bins(probs, [0, 0, 0, 1], n_bins=5))
    yield "reliability", fig
    yield "temperature", plots.temperature_bars(np.array([1.0, 3.0, 2.0]), 0.5).figure
    yield "overflow", plots.overflow_figure(20, "float16").figure
    yield "smooth max", plots.smooth_max_figure().figure
    yield "why exp", plots.why_exp_figure()
    yield "cutoff", cutoff_bars([3.0, 2.0, 1.0], top_k=2).figure


def test_the_course_figures_draw_only_with_the_palette() -> None:
    allowed = {c.lower() for c in plots.COLORS}
    for name, fig in _helper_figures():
        used = _plotted_colours(fig)
        assert used, f"{name}: no colour found (the check would pass anything)"
        assert used <= allowed, f"{name} draws with {sorted(used - allowed)}"
        plt.close(fig)


def test_the_palette_check_sees_a_foreign_colour() -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], color="tab:orange")
    assert _plotted_colours(fig) == {"#ff7f0e"}
    plt.close(fig)


COLOUR_LITERAL = re.compile(r"""\b(?:colou?r|c|edgecolors?|facecolor)\s*=\s*["']([^"']+)["']""")
CMAP_LITERAL = re.compile(r"""cmap\s*=\s*["']([^"']+)["']""")
# sequential or diverging maps that keep their order in lightness for every reader
SAFE_CMAPS = {"Blues", "Greys", "gray", "gray_r", "RdBu_r", "RdBu", "viridis", "cividis"}


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lessons_name_no_colour_outside_the_palette(path) -> None:
    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for colour in COLOUR_LITERAL.findall(code):
        if colour.lower() in NEUTRALS or re.fullmatch(r"C[0-3]", colour):
            continue  # C0-C3 are the palette (the cycle), greys are references
        if colour.startswith("f\"") or "{" in colour:
            continue
        assert colour.lower() in {c.lower() for c in plots.COLORS}, (
            f"{path.name} draws with {colour!r}: use course_lib.lessons.plots.COLORS")
    for cmap in CMAP_LITERAL.findall(code):
        assert cmap in SAFE_CMAPS, f"{path.name} uses the colour map {cmap!r}"
