"""Assembly of a report: report.docx, report.html, report.md, and every figure and table as files.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from analysis.charts import share_bars
>>> from analysis.report import Section, report_table
>>> est = pd.DataFrame({"county": ["甲县", "乙县"], "estimate": [0.53, 0.41],
...                     "ci_low": [0.48, 0.35], "ci_high": [0.58, 0.47], "n": [120, 98]})
>>> s = (Section("现状及做法").paragraph("各县有线电视入户情况见图1。")
...      .figure(share_bars(est), "各县有线电视入户率")
...      .table(report_table(est), "各县有线电视入户率"))
>>> out = write_report([s], pathlib.Path(tempfile.mkdtemp()), title="示例报告")
>>> sorted(out)
['appendix', 'docx', 'figures', 'html', 'md', 'tables']
>>> [p.name for p in out["figures"]]
['图01_各县有线电视入户率.png', '图01_各县有线电视入户率.svg']
>>> [p.name for p in out["tables"]]
['表01_各县有线电视入户率.csv', '表01_各县有线电视入户率.xlsx']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from analysis.charts.save import figure_bytes

from ..errors import ReportError
from .docx import DocxFonts, write_docx
from .html import render_html
from .markdown import render_markdown
from .section import Item, NumberedFigure, NumberedTable, Section, outline
from .table_files import write_table_files

__all__ = ["write_report"]

_LANGS = ("zh", "en")


def _write(path: Path, data: bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise ReportError(
            "REP015",
            f"cannot write {path.name}: {exc.strerror}",
            file=path,
            hint="Check that the folder is writable and the file is not open elsewhere.",
        ) from None
    return path


def write_report(
    sections: Iterable[Section],
    out_dir: str | Path,
    *,
    title: str,
    lang: str = "zh",
    subtitle: str | None = None,
    fonts: DocxFonts | None = None,
) -> dict[str, Path | list[Path]]:
    """Write a report and its parts into ``out_dir``.

    Writes ``report.docx``, ``report.html`` (self-contained), ``report.md``,
    ``figures/<图N_title>.png|.svg`` and ``tables/<表N_title>.csv|.xlsx``. Figures
    and tables are numbered through the report in reading order.

    Parameters
    ----------
    sections : iterable of Section
        Top-level sections (一、二、...), in order.
    out_dir : path
        Usually ``study.reports_dir(wave)``; created when missing.
    title, subtitle : str
        Report title and an optional line under it (wave, date).
    lang : {"zh", "en"}
        Numbering and caption words (图1 / Figure 1).

    Tables marked ``appendix`` (附表1 ...) are left out of the body and written to
    ``appendix.docx`` and ``appendix.md`` (their files ``tables/附表01_...`` too).

    Returns
    -------
    dict
        ``docx``, ``html``, ``md``: paths; ``figures``, ``tables``, ``appendix``: lists
        of paths (``appendix`` empty when the report has no appendix table).
    """
    if lang not in _LANGS:
        raise ReportError(
            "REP012",
            f"reports are written in zh or en, not {lang!r}",
            expected="'zh' or 'en'",
            found=repr(lang),
            hint="Pass lang='zh' or lang='en'.",
        )
    out = Path(out_dir)
    items = outline(list(sections), lang)
    figures: list[Path] = []
    tables: list[Path] = []
    png: dict[int, bytes] = {}
    svg: dict[int, tuple[str, bytes]] = {}
    for item in items:
        if isinstance(item, NumberedFigure):
            png[item.number] = figure_bytes(item.figure, "png")
            svg_bytes = figure_bytes(item.figure, "svg")
            svg[item.number] = ("svg", svg_bytes)
            figures.append(_write(out / "figures" / f"{item.stem}.png", png[item.number]))
            figures.append(_write(out / "figures" / f"{item.stem}.svg", svg_bytes))
        elif isinstance(item, NumberedTable):
            tables.extend(
                write_table_files(item.table, out / "tables" / item.stem, title=item.caption)
            )
    body = [i for i in items if not (isinstance(i, NumberedTable) and i.appendix)]
    appendix = _write_appendix(items, out, title=title, lang=lang, fonts=fonts)
    items = tuple(body)
    docx_path = write_docx(
        items,
        out / "report.docx",
        title=title,
        subtitle=subtitle,
        images=png,
        fonts=fonts,
        lang=lang,
    )
    html = render_html(items, title=title, subtitle=subtitle, images=svg, lang=lang)
    html_path = _write(out / "report.html", html.encode("utf-8"))
    md = render_markdown(items, title=title, subtitle=subtitle)
    md_path = _write(out / "report.md", md.encode("utf-8"))
    return {
        "docx": docx_path,
        "html": html_path,
        "md": md_path,
        "figures": figures,
        "tables": tables,
        "appendix": appendix,
    }


def _write_appendix(
    items: Sequence[Item], out: Path, *, title: str, lang: str, fonts: DocxFonts | None
) -> list[Path]:
    """The appendix tables (附表) in ``appendix.docx`` and ``appendix.md``; none, no file."""
    tables = [i for i in items if isinstance(i, NumberedTable) and i.appendix]
    if not tables:
        return []
    name = f"{title}（附录）" if lang == "zh" else f"{title}: appendix"
    note = "供人工处理的表格" if lang == "zh" else "Tables for manual work"
    docx = write_docx(
        tables, out / "appendix.docx", title=name, subtitle=note, fonts=fonts, lang=lang
    )
    md = _write(
        out / "appendix.md", render_markdown(tables, title=name, subtitle=note).encode("utf-8")
    )
    return [docx, md]
