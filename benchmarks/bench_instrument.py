"""Instrument tooling against pyxform alone: loading, checking, codebook, paper questionnaire.

The loader is a thin typed layer over pyxform's parser, so ``load_instrument`` should
cost little more than ``pyxform.xls2json`` itself; ``check_instrument`` builds the XForm
too, so it is compared with pyxform's full conversion (``xls2xform.convert``). The
codebook and paper questionnaire have no peer; their times are reported for the demo
household form and the largest real form.

Run with ``python -m benchmarks.bench_instrument`` (or through ``python -m benchmarks``).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REALDATA = (ROOT / ".." / "shared" / "realdata").resolve()


def _best(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def _forms() -> list[Path]:
    forms = sorted((ROOT / "surveys").glob("*.xlsx"))
    for name in (
        "onadata/grains.xlsx",
        "reach_impact/cleaningtools_reach_kobo_tool.xlsx",
        "pyxform/xlsform_spec_test.xlsx",
    ):
        path = REALDATA / "xlsform" / name
        if path.is_file():
            forms.append(path)
    return forms


def main() -> None:
    """Print seconds per form and the ratio to pyxform."""
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform
    from pyxform.xls2xform import convert

    from analysis.instrument.check import check_instrument
    from analysis.instrument.codebook import write_codebook
    from analysis.instrument.load import _load_cached, load_instrument
    from analysis.instrument.paper import write_paper

    warnings.simplefilter("ignore")
    print(
        f"{'form':<36} {'pyxform parse':>13} {'load':>7} {'ratio':>6} {'pyxform xform':>13} {'check':>7} {'ratio':>6}"
    )
    ratios = []
    for path in _forms():

        def parse(path=path):
            workbook_to_json(workbook_dict=get_xlsform(str(path)), form_name="data", warnings=[])

        def load(path=path):
            _load_cached.cache_clear()
            load_instrument(path)

        def check(path=path):
            _load_cached.cache_clear()
            check_instrument(path)

        parse_s, load_s = _best(parse), _best(load)
        xform_s = _best(lambda path=path: convert(xlsform=str(path), warnings=[], form_name="data"))
        check_s = _best(check)
        ratios.append(load_s / parse_s)
        print(
            f"{path.name[:36]:<36} {parse_s:>13.3f} {load_s:>7.3f} {load_s / parse_s:>6.2f} "
            f"{xform_s:>13.3f} {check_s:>7.3f} {check_s / xform_s:>6.2f}"
        )
    print(f"median load/pyxform-parse ratio: {statistics.median(ratios):.2f}")
    with tempfile.TemporaryDirectory() as folder:
        for path in _forms()[:1] + _forms()[-2:-1]:
            form = load_instrument(path)
            book = _best(lambda form=form: write_codebook(form, folder, ["md", "xlsx", "docx"]), 1)
            paper = _best(lambda form=form: write_paper(form, Path(folder) / "p.docx", "zh"), 1)
            print(
                f"{path.name:<36} codebook md+xlsx+docx {book:.2f} s, paper docx {paper:.2f} s ({len(form.questions)} questions)"
            )


if __name__ == "__main__":
    main()
