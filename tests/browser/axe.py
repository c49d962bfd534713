"""axe-core, the accessibility engine, fetched from the npm registry at test time and run in a page.

Like reveal.js for the static slides, axe-core is on the npm registry only: ``npm pack`` puts
its tarball (pinned below) in ``build/.cache`` once, and the tests inject ``axe.min.js`` into
each page with Playwright. Without npm and without a cached tarball the accessibility tests
skip with a loud reason, and fail under ``CI=true``.

The rules are axe's WCAG 2.0 and 2.1 level A and AA rules, plus the structural checks the
course promises beyond them (headings in order, one ``<main>``, every landmark named apart,
all content inside a landmark, a working skip link).
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

AXE_VERSION = "4.14.1"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
STRUCTURE_RULES = ("heading-order", "landmark-one-main", "landmark-unique",
                   "page-has-heading-one", "region", "skip-link")


class AxeUnavailable(RuntimeError):
    """axe-core cannot be had: npm is missing and no copy is cached."""


def axe_source(cache: Path) -> str:
    """The text of ``axe.min.js`` for :data:`AXE_VERSION`, from the cache or from npm."""
    tarball = cache / f"axe-core-{AXE_VERSION}.tgz"
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise AxeUnavailable(
                "the accessibility tests need axe-core from the npm registry, and npm is not "
                "installed (apt-get install npm)")
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--silent",
                        "--pack-destination", str(cache)], check=True,
                       stdout=subprocess.DEVNULL, timeout=300)
    with tarfile.open(tarball) as tar:
        return tar.extractfile("package/axe.min.js").read().decode("utf-8")


_RUN = """async ([tags, extra]) => {
  const rules = axe.getRules(tags).map(r => r.ruleId).concat(extra);
  const result = await axe.run(document, {runOnly: {type: "rule", values: rules},
                                          resultTypes: ["violations"]});
  return {version: axe.version, rules: rules.length,
          violations: result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))};
}"""


def run_axe(page, source: str, structure: bool = True) -> dict:
    """Inject axe-core into the loaded page and run the course's rules on the whole document."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=source)
    return page.evaluate(_RUN, [list(WCAG_TAGS), list(STRUCTURE_RULES) if structure else []])


def describe_violations(result: dict) -> str:
    lines = []
    for v in result["violations"]:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}, {len(v['nodes'])} element(s)")
        lines += [f"    {n[:300]}" for n in v["nodes"][:5]]
    return "\n".join(lines)
