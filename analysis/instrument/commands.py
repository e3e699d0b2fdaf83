"""``baicun instrument check|codebook|xform|paper|diff``: the instrument commands.

``FORM`` is a path to an XLSForm (``surveys/household.xlsx``, ``form.md``, a split
``tool_survey.csv``) or the name of an instrument of the study (``household``), found
through ``study.toml``.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="baicun")
>>> _ = parser.add_argument("--study", default=None)
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["instrument", "paper", "household", "--lang", "en"])
>>> args.form, args.lang, args.func.__name__
('household', 'en', '_cmd_paper')
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InstrumentError, StudyError
from ..office.word import DEFAULT_FONTS
from ..study import Study

__all__ = ["register", "resolve_form"]


def resolve_form(form: str, study_root: str | Path | None = None) -> Path:
    """The XLSForm file meant by ``form``: an existing path, or an instrument name of the study.

    Raises
    ------
    InstrumentError
        ``INS001`` when ``form`` is neither a file nor an instrument of the study.
    """
    path = Path(form)
    if path.is_file():
        return path
    looks_like_name = path.suffix == "" and len(path.parts) == 1
    if looks_like_name:
        try:
            study = Study.load(study_root)
        except StudyError:
            study = None
        if study is not None:
            if form in study.instrument_names:
                return study.form_path(form)
            raise InstrumentError(
                "INS001",
                f"'{form}' is neither a file nor an instrument of the study",
                file=study.root / "study.toml",
                expected=", ".join(study.instrument_names) or "(no instruments declared)",
                found=form,
                hint="Give the path of the XLSForm, or one of the instrument names of study.toml.",
            )
    raise InstrumentError(
        "INS001",
        "XLSForm file not found",
        file=path,
        hint="Check the path, or give an instrument name of the study (run inside the study or pass --study).",
    )


def _study_or_none(root: str | Path | None) -> Study | None:
    try:
        return Study.load(root)
    except StudyError:
        return None


def _fonts(name: str | None):
    return DEFAULT_FONTS.with_east_asia(name)


# ------------------------------------------------------------------ commands
def _cmd_check(args: argparse.Namespace) -> int:
    from .check import check_instrument

    path = resolve_form(args.form, args.study)
    issues = check_instrument(path)
    if args.format == "csv":
        issues.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(issues.to_json(orient="records", force_ascii=False, indent=1))
    else:
        for record in issues.itertuples(index=False):
            where = ", ".join(
                part
                for part in (
                    f"sheet {record.sheet}" if isinstance(record.sheet, str) else "",
                    f"row {record.row}"
                    if record.row is not None and str(record.row) != "<NA>"
                    else "",
                    f"column {record.column}" if isinstance(record.column, str) else "",
                )
                if part
            )
            print(f"{record.severity:<7} {record.code}  {where}")
            print(f"        {record.message}")
    errors = int((issues["severity"] == "error").sum()) if len(issues) else 0
    warnings = int((issues["severity"] == "warning").sum()) if len(issues) else 0
    if args.format == "table":
        print(
            f"{path}: {errors} errors, {warnings} warnings, {len(issues) - errors - warnings} notes"
        )
    return 1 if errors else 0


def _cmd_codebook(args: argparse.Namespace) -> int:
    from .codebook import FORMATS, write_codebook

    path = resolve_form(args.form, args.study)
    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()] or list(FORMATS)
    out = args.out
    if out is None:
        study = _study_or_none(args.study)
        out = study.codebook_dir() if study is not None else Path.cwd()
    for written in write_codebook(path, out, formats, lang=args.lang, fonts=_fonts(args.font)):
        print(written)
    return 0


def _cmd_xform(args: argparse.Namespace) -> int:
    from .xform import write_xform

    path = resolve_form(args.form, args.study)
    out = args.out or Path.cwd() / f"{path.stem}.xml"
    print(write_xform(path, out))
    return 0


def _cmd_paper(args: argparse.Namespace) -> int:
    from .paper import write_paper

    path = resolve_form(args.form, args.study)
    out = args.out or Path.cwd() / f"{path.stem}_paper_{args.lang}.docx"
    written = write_paper(
        path, out, args.lang, fonts=_fonts(args.font), roster_rows=args.rows, title=args.title
    )
    print(written)
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff_instruments
    from .load import load_instrument

    old = resolve_form(args.old, args.study)
    new = resolve_form(args.new, args.study)
    changes = diff_instruments(load_instrument(old), load_instrument(new))
    if args.format == "csv":
        changes.to_csv(sys.stdout, index=False)
        return 0
    shown = changes.astype(object).where(changes.notna(), "")
    if args.format == "md":
        print("| " + " | ".join(changes.columns) + " |")
        print("|" + "---|" * len(changes.columns))
        for record in shown.itertuples(index=False):
            print("| " + " | ".join(str(v).replace("|", "\\|") for v in record) + " |")
        return 0
    if len(changes):
        print(shown.to_string(index=False))
    print(f"{old} -> {new}: {len(changes)} changes")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``baicun instrument ...`` to the command line."""
    parser = subparsers.add_parser(
        "instrument",
        help="check an XLSForm, write its codebook, XForm or paper questionnaire",
        description="Work with XLSForm instruments. FORM is a file or an instrument name of the study.",
    )
    sub = parser.add_subparsers(dest="instrument_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])

    check = sub.add_parser(
        "check",
        help="pyxform's errors and warnings plus the toolkit's checks (exit 1 when errors)",
    )
    check.add_argument("form", metavar="FORM", help="XLSForm file or instrument name")
    check.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format"
    )
    check.set_defaults(func=_cmd_check)

    codebook = sub.add_parser(
        "codebook", help="write the codebook (Markdown, XLSX, DOCX) of every variable"
    )
    codebook.add_argument("form", metavar="FORM", help="XLSForm file or instrument name")
    codebook.add_argument(
        "--out", type=Path, default=None, help="folder (default: the study's codebook folder)"
    )
    codebook.add_argument(
        "--format", default="md,xlsx,docx", help="comma-separated: md, xlsx, docx"
    )
    codebook.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language of the words"
    )
    codebook.add_argument(
        "--font", default=None, help="East Asian font of the DOCX (default SimSun)"
    )
    codebook.set_defaults(func=_cmd_codebook)

    xform = sub.add_parser("xform", help="write the XForm XML (ODK Collect, KoboToolbox)")
    xform.add_argument("form", metavar="FORM", help="XLSForm file or instrument name")
    xform.add_argument("--out", type=Path, default=None, help="XML file (default: ./FORM.xml)")
    xform.set_defaults(func=_cmd_xform)

    paper = sub.add_parser("paper", help="write the printable paper questionnaire (DOCX)")
    paper.add_argument("form", metavar="FORM", help="XLSForm file or instrument name")
    paper.add_argument("--lang", choices=("zh", "en"), default="zh", help="questionnaire language")
    paper.add_argument(
        "--out", type=Path, default=None, help="DOCX file (default: ./FORM_paper_LANG.docx)"
    )
    paper.add_argument("--rows", type=int, default=8, help="blank rows per roster (default 8)")
    paper.add_argument("--title", default=None, help="title (default: the form's title)")
    paper.add_argument("--font", default=None, help="East Asian font (default SimSun)")
    paper.set_defaults(func=_cmd_paper)

    diff = sub.add_parser(
        "diff",
        help="list added, removed and renamed questions and changed choice lists (OLD -> NEW)",
    )
    diff.add_argument("old", metavar="OLD", help="older XLSForm file or instrument name")
    diff.add_argument("new", metavar="NEW", help="newer XLSForm file or instrument name")
    diff.add_argument(
        "--format", choices=("table", "csv", "md"), default="table", help="output format"
    )
    diff.set_defaults(func=_cmd_diff)
