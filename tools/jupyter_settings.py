"""Write JupyterLab settings into a venv: no news or update toasts over the course, and no
extension built for another JupyterLab.

- ``share/jupyter/lab/settings/overrides.json``: the news and update notifications are off.
- ``etc/jupyter/labconfig/page_config.json``: ``@jupyterlab/mathjax3-extension`` is
  disabled. jupyterlab-rise requires the package, but its extension was built for
  JupyterLab 3 (``jupyter labextension list`` marks it incompatible); JupyterLab 4 typesets
  math with its own MathJax 3, in notebooks and in RISE slides alike.

Usage: ``python tools/jupyter_settings.py .venv``
"""

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    }
}
DISABLED = {"@jupyterlab/mathjax3-extension": True}


def _write_json(target: Path, data: dict) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2) + "\n")


def main(venv: str) -> None:
    root = Path(venv)
    _write_json(root / "share" / "jupyter" / "lab" / "settings" / "overrides.json", OVERRIDES)
    page_config = root / "etc" / "jupyter" / "labconfig" / "page_config.json"
    config = json.loads(page_config.read_text()) if page_config.is_file() else {}
    config.setdefault("disabledExtensions", {}).update(DISABLED)
    _write_json(page_config, config)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".venv")
