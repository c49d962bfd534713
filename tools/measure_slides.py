"""Measure every slide of the static decks in Chromium: does it fit, how many words it holds.

    python tools/measure_slides.py [--decks build/slides] [--sizes 1280x720,1024x768] [--json F]

Each deck (``build/slides/NN_*.html``, built by ``make slides``) is opened from disk at each
screen size; every slide (each vertical step too) is shown in turn and measured:

- **fits**: everything the slide shows lies inside reveal.js's slide area (nothing below
  its bottom edge, nothing cut at the sides, no box that scrolls);
- **height**: how tall the content is, in slide heights (1.0 fills the slide);
- **words**: the words shown (prose, code and output; a formula counts as one word),
  and **prose words** (the markdown cells only); speaker notes are counted apart;
- **figures**: each figure's size on the slide (slide pixels per image pixel) and its dpi,
  so a caller can tell how large a figure's lettering looks in the deck: text drawn at
  ``P`` pt reads as ``P * dpi * scale / 96`` pt on the 1280 x 720 slide.

Prints, per lesson and size: slides, slides that do not fit, words per slide (median and
max). The browser test tests/browser/test_slides_browser.py fails on any breach.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((1280, 720), (1024, 768))

# Runs in the page with the slide shown: measures it in slide coordinates (1 = one pixel of
# the deck's own width x height, whatever the screen's size).
_MEASURE_JS = r"""
() => {
  const slide = Reveal.getCurrentSlide();
  const scale = Reveal.getScale();
  const area = document.querySelector(".reveal .slides").getBoundingClientRect();
  const shown = (el) => !el.closest("aside.notes") && el.getClientRects().length > 0;
  // what a viewer sees: text (each line box) and images, each cut by any box that clips it
  const clips = (el) => {
    const boxes = [area];
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== "visible" || s.overflowY !== "visible") {
        boxes.push(a.getBoundingClientRect());
      }
    }
    return boxes;
  };
  let top = Infinity, bottom = -Infinity, left = Infinity, right = -Infinity;
  let cut = 0;
  const see = (el, rects) => {
    const boxes = clips(el);
    for (const r of rects) {
      if (r.width === 0 || r.height === 0) continue;
      top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
      left = Math.min(left, r.left); right = Math.max(right, r.right);
      for (const b of boxes) {
        const out = Math.max(b.top - r.top, r.bottom - b.bottom, b.left - r.left,
                             r.right - b.right);
        cut = Math.max(cut, out / scale);
      }
    }
  };
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!t.textContent.trim() || !el || !shown(el) || el.closest("script, style")) continue;
    // MathJax's MathML copy of a formula, for screen readers: clipped to 1 px, never seen
    if (el.closest(".MJX_Assistive_MathML")) continue;
    if (getComputedStyle(el).visibility === "hidden") continue;
    const range = document.createRange();
    range.selectNodeContents(t);
    see(el, [...range.getClientRects()]);
  }
  for (const img of slide.querySelectorAll("img, svg, canvas")) {
    if (shown(img)) see(img, [img.getBoundingClientRect()]);
  }
  const scrolls = [];
  for (const el of [slide, ...slide.querySelectorAll("*")]) {
    if (el !== slide && !shown(el)) continue;
    const s = getComputedStyle(el);
    const canScroll = (v) => v === "auto" || v === "scroll";
    if ((canScroll(s.overflowY) && el.scrollHeight > el.clientHeight + 1) ||
        (canScroll(s.overflowX) && el.scrollWidth > el.clientWidth + 1)) {
      scrolls.push(el.tagName.toLowerCase() + "." + [...el.classList].join("."));
    }
  }
  const words = (root, selector) => {
    let n = 0;
    const parts = selector ? root.querySelectorAll(selector) : [root];
    for (const part of parts) {
      const copy = part.cloneNode(true);
      copy.querySelectorAll("aside.notes, script, style, .MathJax_Preview, .anchor-link")
        .forEach((e) => e.remove());
      copy.querySelectorAll(".MathJax, .MathJax_Display, mjx-container")
        .forEach((e) => e.replaceWith(" formula "));
      n += copy.textContent.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
    }
    return n;
  };
  const notes = [...slide.querySelectorAll("aside.notes")];
  const dpiOf = (src) => {  // a PNG's pHYs chunk, if any: its pixels per inch
    if (!src.startsWith("data:image/png;base64,")) return null;
    const bin = atob(src.slice(22, 22 + 400));
    const k = bin.indexOf("pHYs");
    if (k < 0 || bin.charCodeAt(k + 12) !== 1) return null;  // unit 1: per metre
    const perMetre = ((bin.charCodeAt(k + 4) << 24) >>> 0) + (bin.charCodeAt(k + 5) << 16)
      + (bin.charCodeAt(k + 6) << 8) + bin.charCodeAt(k + 7);
    return perMetre * 0.0254;
  };
  const figures = [...slide.querySelectorAll("img")].filter(shown).map((img) => {
    // the picture as drawn: object-fit "contain" keeps its shape inside the img box
    const r = img.getBoundingClientRect();
    const fit = getComputedStyle(img).objectFit === "contain";
    const boxScale = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
    const sx = fit ? boxScale : r.width / img.naturalWidth;
    return {width: img.naturalWidth * sx / scale, height: img.naturalHeight * sx / scale,
            natural_width: img.naturalWidth, natural_height: img.naturalHeight,
            slide_px_per_image_px: sx / scale, dpi: dpiOf(img.src)};
  });
  const noteText = notes.map((a) => a.textContent.replace(/\s+/g, " ")).join(" ");
  const heading = slide.querySelector("h1, h2, h3");
  const idx = Reveal.getIndices(slide);
  const empty = top === Infinity;
  return {
    h: idx.h, v: idx.v || 0,
    title: heading ? heading.textContent.replace("\u00b6", "").trim() : "",
    height: empty ? 0 : (bottom - top) / (area.height),
    overflow_bottom: empty ? 0 : Math.max(0, (bottom - area.bottom) / scale),
    cut: cut,
    scrolls: scrolls,
    words: words(slide, null),
    prose_words: words(slide, ".jp-MarkdownCell:not(aside.notes *)"),
    notes_words: notes.reduce((n, a) => n + words(a, null), 0),
    notes_text: noteText,
    figures: figures,
  };
}
"""


@dataclass
class Slide:
    """What one slide of a deck shows at one screen size."""

    deck: str
    size: str
    h: int
    v: int
    title: str
    height: float
    overflow_bottom: float
    cut: float
    scrolls: list[str]
    words: int
    prose_words: int
    notes_words: int
    notes_text: str = ""
    figures: list[dict] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return self.cut <= 1 and not self.scrolls

    @property
    def where(self) -> str:
        return f"{self.deck} slide {self.h + 1}.{self.v + 1} ({self.title[:40]!r}) at {self.size}"


def open_deck(page, path: Path) -> None:
    """Load a deck and wait until reveal.js has laid it out and MathJax has typeset it."""
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-reveal='ready']", state="attached", timeout=60_000)
    page.wait_for_selector("body[data-math='done']", state="attached", timeout=60_000)


def measure_deck(page, path: Path, size: tuple[int, int]) -> list[Slide]:
    """Every slide of one deck, shown one by one at ``size`` (width, height)."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_deck(page, path)
    page.evaluate("Reveal.layout()")
    positions = page.evaluate(
        "Reveal.getSlides().map(s => { const i = Reveal.getIndices(s); return [i.h, i.v || 0]; })"
    )
    slides = []
    for h, v in positions:
        page.evaluate(f"Reveal.slide({h}, {v})")
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        data = page.evaluate(_MEASURE_JS)
        slides.append(Slide(deck=path.stem, size=f"{size[0]}x{size[1]}", **data))
    return slides


def summary(slides: list[Slide]) -> dict:
    """Slides, slides that do not fit, words and prose words per slide (median, max)."""
    words = [s.words for s in slides] or [0]
    prose = [s.prose_words for s in slides] or [0]
    return {
        "slides": len(slides),
        "not_fitting": sum(not s.fits for s in slides),
        "tallest": max((s.height for s in slides), default=0.0),
        "words_median": statistics.median(words), "words_max": max(words),
        "prose_median": statistics.median(prose), "prose_max": max(prose),
    }


def table(slides: list[Slide]) -> str:
    """A markdown table: one row per deck and size, then the totals per size."""
    lines = ["| deck | size | slides | do not fit | tallest (screens) | words/slide median | "
             "max | prose words median | max |", "|" + "---|" * 9]
    sizes = sorted({s.size for s in slides}, reverse=True)
    decks = sorted({s.deck for s in slides})
    for group in [(d, z) for d in decks for z in sizes] + [("all", z) for z in sizes]:
        chosen = [s for s in slides if s.size == group[1] and group[0] in ("all", s.deck)]
        m = summary(chosen)
        lines.append(
            f"| {group[0]} | {group[1]} | {m['slides']} | {m['not_fitting']} | "
            f"{m['tallest']:.1f} | {m['words_median']:g} | {m['words_max']} | "
            f"{m['prose_median']:g} | {m['prose_max']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decks", type=Path, default=ROOT / "build" / "slides")
    parser.add_argument("--sizes", default="1280x720,1024x768")
    parser.add_argument("--json", type=Path, help="also write every slide's numbers here")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    decks = sorted(args.decks.glob("[0-9][0-9]*_*.html"))
    if not decks:
        raise SystemExit(f"no decks in {args.decks}: run make slides first")
    sizes = [tuple(int(n) for n in s.split("x")) for s in args.sizes.split(",")]
    from playwright.sync_api import sync_playwright

    slides: list[Slide] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        for deck in decks:
            for size in sizes:
                slides += measure_deck(page, deck, size)
        browser.close()
    print(table(slides))
    for s in slides:
        if not s.fits:
            print(f"does not fit: {s.where}: {s.height:.2f} slide heights, "
                  f"{s.overflow_bottom:.0f} px below, scrolls {s.scrolls}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in slides], indent=1))


if __name__ == "__main__":
    main()
