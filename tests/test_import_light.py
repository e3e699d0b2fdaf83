"""``import analysis`` and the estimators stay light: no heavy package is imported at start-up.

The command line and notebooks start fast because ``analysis`` loads its public names on
first use and the estimators import ``scipy.special`` only when an interval is computed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEAVY = ("scipy", "matplotlib", "flask", "statsmodels", "pyxform", "docx", "openpyxl")


def _modules_after(code: str) -> set[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_analysis_and_the_estimators_load_no_heavy_package():
    loaded = _modules_after("import analysis\nanalysis.mean, analysis.proportion, analysis.total")
    assert "analysis.estimate.estimators" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    assert heavy == []


def test_scipy_special_is_imported_on_the_first_interval():
    loaded = _modules_after(
        "from analysis.estimate.intervals import t_interval\nt_interval(1.0, 0.5, 10, 0.95)"
    )
    assert "scipy.special" in loaded
    assert "scipy.stats" not in loaded
