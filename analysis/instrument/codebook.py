"""The codebook of an instrument: every variable, its labels, values and rules.

:func:`codebook` returns one tidy row per variable (questions that hold data, including
calculations and metadata; notes are not variables). :func:`write_codebook` writes it as
Markdown, XLSX and DOCX. Skip logic and constraints appear both as written and in words
(:mod:`analysis.instrument.wording`).

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hh.md"
>>> _ = path.write_text('''
... | survey |
... |  | type          | name   | label::中文 (zh) | label::English (en) | relevant         | constraint            | missing_codes     |
... |  | select_one yn | has_tv | 有电视吗？        | Has a TV?           |                  |                       |                   |
... |  | integer       | n_tv   | 几台？            | How many?           | ${has_tv} = '1'  | . >= 1 and . <= 10    | 98=不知道;99=拒答  |
... | choices |
... |  | list_name | name | label::中文 (zh) | label::English (en) |
... |  | yn        | 1    | 是               | Yes                 |
... |  | yn        | 2    | 否               | No                  |
... ''', encoding="utf-8")
>>> book = codebook(path)
>>> book.loc[1, ["name", "label_zh", "relevant_words", "constraint_words", "missing_codes"]].tolist()
['n_tv', '几台？', '若“有电视吗？”选“是”', '取值 1–10', '98=不知道; 99=拒答']
>>> book.loc[0, "value_labels"]
'1=是; 2=否'
>>> sorted(p.suffix for p in write_codebook(path, path.parent / "out"))
['.docx', '.md', '.xlsx']
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from ..errors import InstrumentError
from ..office.package import document_bytes, normalise_package
from ..office.word import (
    DEFAULT_FONTS,
    Fonts,
    add_page_numbers,
    add_paragraph,
    add_text,
    apply_east_asian_fonts,
    new_document,
    set_cell_background,
    set_cell_margins,
    set_column_widths,
    set_repeat_table_header,
    set_table_borders,
)
from .load import load_instrument
from .model import Instrument, Question
from .wording import (
    calculation_in_words,
    conditions_in_words,
    constraint_in_words,
    plain_label,
    type_in_words,
)

__all__ = ["FORMATS", "codebook", "codebook_markdown", "write_codebook"]

#: Output formats :func:`write_codebook` knows.
FORMATS = ("md", "xlsx", "docx")

_SKIP_TYPES = frozenset({"note", "entity"})

#: Column headings per language.
_HEAD = {
    "zh": {
        "title": "变量手册",
        "number": "序号",
        "name": "变量名",
        "type": "类型",
        "label": "题目",
        "value_labels": "取值标签",
        "rules": "跳转条件 / 约束 / 计算",
        "missing_codes": "缺失值",
        "flags": "标记",
        "form": "问卷",
        "version": "版本",
        "languages": "语言",
        "variables": "变量数",
        "main": "主记录",
        "repeat": "重复组（每行一条记录）",
        "relevant": "条件",
        "constraint": "约束",
        "calculation": "计算",
        "pii": "个人信息",
        "required": "必答",
        "role": "角色",
    },
    "en": {
        "title": "Codebook",
        "number": "No.",
        "name": "Variable",
        "type": "Type",
        "label": "Question",
        "value_labels": "Value labels",
        "rules": "Skip logic / constraint / calculation",
        "missing_codes": "Missing codes",
        "flags": "Flags",
        "form": "Form",
        "version": "Version",
        "languages": "Languages",
        "variables": "Variables",
        "main": "main record",
        "repeat": "repeat (one record per row)",
        "relevant": "Shown",
        "constraint": "Constraint",
        "calculation": "Calculation",
        "pii": "personal data",
        "required": "required",
        "role": "role",
    },
}


def _lang(lang: str) -> str:
    return "en" if lang.lower().startswith("en") else "zh"


def _instrument(form: str | Path | Instrument) -> Instrument:
    return form if isinstance(form, Instrument) else load_instrument(form)


def _label_languages(form: Instrument) -> tuple[str, ...]:
    langs = tuple(lang for lang in form.languages if lang != "default")
    return langs or ("default",)


def _value_labels(form: Instrument, q: Question, lang: str) -> str:
    if q.itemset_file:
        return f"({q.itemset_file})"
    choices = form.choices(q)
    if choices is None:
        return ""
    return "; ".join(f"{c.name}={plain_label(c.label(lang))}" for c in choices)


def codebook(form: str | Path | Instrument, lang: str = "zh") -> pd.DataFrame:
    """One row per variable: name, type, labels per language, value labels, rules, flags.

    Parameters
    ----------
    form : str, Path or Instrument
        The XLSForm (or a loaded Instrument).
    lang : str
        Language of the words (``zh`` or ``en``): type, skip logic, constraint,
        calculation, and the labels quoted inside them.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``type``, ``type_words``, ``label_<lang>`` for every language of
        the form (``label`` when it has none), ``hint``, ``value_labels``, ``relevant``,
        ``relevant_words``, ``constraint``, ``constraint_words``, ``constraint_message``,
        ``calculation``, ``calculation_words``, ``required``, ``missing_codes``, ``pii``,
        ``role``, ``group``, ``repeat``, ``row``.
    """
    form = _instrument(form)
    words_lang = _lang(lang)
    label_lang = lang if lang in form.languages else (form.default_language or lang)
    languages = _label_languages(form)
    groups = {g.name: g for g in form.groups}
    rows = []
    for q in form.questions:
        if q.type in _SKIP_TYPES:
            continue
        relevant = [groups[g].relevant for g in q.group_path if g in groups and groups[g].relevant]
        if q.relevant:
            relevant.append(q.relevant)
        row = {"name": q.name, "type": q.type, "type_words": type_in_words(q, words_lang)}
        for language in languages:
            key = "label" if language == "default" else f"label_{language}"
            row[key] = plain_label(
                q.labels.get(language) or ("" if language != "default" else q.label())
            )
        row.update(
            {
                "hint": plain_label(q.hint(label_lang)),
                "value_labels": _value_labels(form, q, label_lang),
                "relevant": " and ".join(f"({r})" if len(relevant) > 1 else r for r in relevant),
                "relevant_words": conditions_in_words(relevant, form, words_lang),
                "constraint": q.constraint or "",
                "constraint_words": constraint_in_words(
                    q.constraint, form, words_lang, question=q.name
                ),
                "constraint_message": plain_label(
                    q.constraint_message.get(label_lang)
                    or next(iter(q.constraint_message.values()), "")
                ),
                "calculation": q.calculation or "",
                "calculation_words": calculation_in_words(q.calculation, form, words_lang),
                "required": q.is_required,
                "missing_codes": "; ".join(f"{k}={v}" for k, v in q.missing_codes.items()),
                "pii": q.pii,
                "role": q.role or "",
                "group": "/".join(q.group_path),
                "repeat": q.repeat or "",
                "row": q.row,
            }
        )
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["row"] = frame["row"].astype("Int64")
    return frame


# --------------------------------------------------------------------------- writers
def _rules_text(record: pd.Series, head: dict[str, str]) -> str:
    parts = []
    for key in ("relevant", "constraint", "calculation"):
        words = record.get(f"{key}_words") or ""
        if words:
            parts.append(f"{head[key]}: {words}")
    return "\n".join(parts)


def _flags(record: pd.Series, head: dict[str, str]) -> str:
    flags = []
    if record.get("required"):
        flags.append(head["required"])
    if record.get("pii"):
        flags.append(head["pii"])
    if record.get("role"):
        flags.append(f"{head['role']}={record['role']}")
    return ", ".join(flags)


def _label_columns(book: pd.DataFrame) -> list[str]:
    return [c for c in book.columns if c == "label" or c.startswith("label_")]


def _md_cell(text: object) -> str:
    value = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    return value.replace("|", "\\|").replace("\n", "<br>")


def codebook_markdown(form: str | Path | Instrument, lang: str = "zh") -> str:
    """The codebook as a Markdown document (one table per main record / repeat)."""
    form = _instrument(form)
    book = codebook(form, lang)
    head = _HEAD[_lang(lang)]
    lines = [
        f"# {head['title']}: {form.title}",
        "",
        f"- {head['form']}: `{form.form_id}`"
        + (f"  {head['version']}: {form.version}" if form.version else ""),
        f"- {head['languages']}: {', '.join(form.languages) or '-'}",
        f"- {head['variables']}: {len(book)}",
        "",
    ]
    labels = _label_columns(book)
    columns = [
        head["number"],
        head["name"],
        head["type"],
        *[
            c.replace("label_", head["label"] + " ") if c != "label" else head["label"]
            for c in labels
        ],
        head["value_labels"],
        head["rules"],
        head["missing_codes"],
        head["flags"],
    ]
    for repeat, part in _sections(book):
        title = head["main"] if not repeat else f"{repeat} — {head['repeat']}"
        lines += [f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for number, (_, record) in enumerate(part.iterrows(), start=1):
            cells = [
                str(number),
                f"`{record['name']}`",
                record["type_words"],
                *[record[c] for c in labels],
                record["value_labels"],
                _rules_text(record, head),
                record["missing_codes"],
                _flags(record, head),
            ]
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _sections(book: pd.DataFrame) -> Iterable[tuple[str, pd.DataFrame]]:
    if not len(book):
        return [("", book)]
    order = list(dict.fromkeys(book["repeat"]))
    return [(r, book[book["repeat"] == r]) for r in order]


def _write_xlsx(form: Instrument, book: pd.DataFrame, path: Path, lang: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    value_rows = []
    for q in form.questions:
        choices = form.choices(q)
        if choices is None or q.type in _SKIP_TYPES:
            continue
        for c in choices:
            row = {"variable": q.name, "list_name": choices.name, "code": c.name}
            for language in _label_languages(form):
                row["label" if language == "default" else f"label_{language}"] = c.labels.get(
                    language
                ) or (c.label() if language == "default" else "")
            value_rows.append(row)
    values = pd.DataFrame(value_rows)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        book.to_excel(writer, sheet_name="codebook", index=False)
        values.to_excel(writer, sheet_name="value_labels", index=False)
        wrap = Alignment(wrap_text=True, vertical="top")
        for sheet in writer.book.worksheets:
            sheet.freeze_panes = "B2"
            for cell in sheet[1]:
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="D9E1F2")
            for index, column in enumerate(sheet.columns, start=1):
                width = max((len(str(c.value or "")) for c in column), default=8)
                sheet.column_dimensions[get_column_letter(index)].width = min(
                    max(8, width * 1.2), 50
                )
                if sheet.title == "codebook":
                    for cell in column[1:]:
                        cell.alignment = wrap

    path.write_bytes(normalise_package(buffer.getvalue()))


def _write_docx(form: Instrument, book: pd.DataFrame, path: Path, lang: str, fonts: Fonts) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm

    head = _HEAD[_lang(lang)]
    document = new_document(fonts, landscape=True, margin_cm=1.5)
    add_paragraph(document, f"{form.title}", fonts, style="Title", align="center")
    add_paragraph(document, head["title"], fonts, style="Subtitle", align="center")
    info = f"{head['form']}: {form.form_id}"
    if form.version:
        info += f"    {head['version']}: {form.version}"
    info += f"    {head['languages']}: {', '.join(form.languages) or '-'}    {head['variables']}: {len(book)}"
    add_paragraph(document, info, fonts, align="center", size=9, color="555555")
    labels = _label_columns(book)
    headers = [
        head["number"],
        head["name"],
        head["label"],
        head["type"],
        head["value_labels"],
        head["rules"],
        head["missing_codes"],
    ]
    widths = [1.0, 3.2, 7.0, 2.0, 5.0, 6.3, 2.2]
    for repeat, part in _sections(book):
        title = (
            head["main"]
            if not repeat
            else f"{repeat}（{head['repeat']}）"
            if _lang(lang) == "zh"
            else f"{repeat} ({head['repeat']})"
        )
        add_paragraph(document, title, fonts, style="Heading 1")
        table = document.add_table(rows=1, cols=len(headers))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        set_table_borders(table, size=4, color="808080")
        set_cell_margins(table)
        set_column_widths(table, widths)
        for cell, text, width in zip(table.rows[0].cells, headers, widths):
            cell.width = Cm(width)
            cell.paragraphs[0].text = ""
            add_text(cell.paragraphs[0], text, fonts, bold=True, size=9, heading=True)
            set_cell_background(cell, "D9E1F2")
        set_repeat_table_header(table.rows[0])
        for number, (_, record) in enumerate(part.iterrows(), start=1):
            cells = table.add_row().cells
            label_lines = [str(record[c]) for c in labels if record[c]]
            hint = record.get("hint") or ""
            flags = _flags(record, head)
            contents = [
                [str(number)],
                [str(record["name"])] + ([f"[{flags}]"] if flags else []),
                label_lines + ([f"({hint})"] if hint else []),
                [str(record["type_words"])],
                str(record["value_labels"]).split("; ") if record["value_labels"] else [],
                _rules_text(record, head).split("\n") if _rules_text(record, head) else [],
                str(record["missing_codes"]).split("; ") if record["missing_codes"] else [],
            ]
            for cell, lines, width in zip(cells, contents, widths):
                cell.width = Cm(width)
                paragraph = cell.paragraphs[0]
                for i, line in enumerate(lines):
                    if i:
                        paragraph = cell.add_paragraph()
                    paragraph.paragraph_format.space_after = 0
                    italic = line.startswith("(") or line.startswith("[")
                    add_text(
                        paragraph,
                        line,
                        fonts,
                        size=8.5,
                        italic=italic,
                        color="555555" if italic else None,
                    )
    add_page_numbers(
        document, fonts, template="第 {page} 页" if _lang(lang) == "zh" else "Page {page}"
    )
    apply_east_asian_fonts(document, fonts)
    path.write_bytes(document_bytes(document))


def write_codebook(
    form: str | Path | Instrument,
    out_dir: str | Path,
    formats: Sequence[str] = FORMATS,
    *,
    lang: str = "zh",
    fonts: Fonts = DEFAULT_FONTS,
) -> list[Path]:
    """Write the codebook of ``form`` to ``out_dir`` as ``<form>_codebook.<md|xlsx|docx>``.

    Parameters
    ----------
    form : str, Path or Instrument
        The XLSForm (or a loaded Instrument).
    out_dir : str or Path
        The folder (created when missing).
    formats : sequence of str
        Any of ``md``, ``xlsx``, ``docx``.
    lang : str
        Language of the words (``zh`` or ``en``).
    fonts : Fonts
        Fonts of the DOCX.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InstrumentError(
            "INS040",
            f"unknown codebook format {', '.join(unknown)}",
            expected=", ".join(FORMATS),
            found=", ".join(unknown),
            hint="Use --format md,xlsx,docx (any of them).",
        )
    instrument = _instrument(form)
    stem = Path(instrument.path).stem if instrument.path else instrument.form_id
    out = Path(out_dir)
    book = codebook(instrument, lang)
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = out / f"{stem}_codebook.{fmt}"
            if fmt == "md":
                path.write_text(codebook_markdown(instrument, lang), encoding="utf-8")
            elif fmt == "xlsx":
                _write_xlsx(instrument, book, path, lang)
            else:
                _write_docx(instrument, book, path, lang, fonts)
            written.append(path)
    except OSError as exc:
        raise InstrumentError(
            "INS041",
            f"cannot write the codebook: {exc.strerror or exc}",
            file=getattr(exc, "filename", None) or out,
            hint="Check the folder is writable and the file is not open in Excel or Word.",
        ) from None
    return written
