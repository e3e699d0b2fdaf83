"""Load an XLSForm into a typed :class:`~analysis.instrument.model.Instrument`.

Built on pyxform, the reference parser: pyxform reads the spreadsheet
(``.xlsx``, ``.xlsm``, ``.xls``, ``.csv`` or a markdown-table form) and turns it into its
JSON form; this module only types that JSON, normalises language names and keeps the
sheet row of every question and choice. pyxform's own errors become coded
:class:`~analysis.errors.InstrumentError` with the file, sheet, row and column.

Examples
--------
>>> import tempfile, pathlib
>>> md = '''
... | survey |
... |        | type         | name  | label::中文 (zh) | label::English (en) | missing_codes |
... |        | integer      | age   | 年龄             | Age                 | 98=不知道      |
... |        | select_one yn| tv    | 有电视吗？        | Has a TV?           |               |
... | choices |
... |         | list_name | name | label::中文 (zh) | label::English (en) |
... |         | yn        | 1    | 是               | Yes                 |
... |         | yn        | 2    | 否               | No                  |
... '''
>>> path = pathlib.Path(tempfile.mkdtemp()) / "mini.md"
>>> _ = path.write_text(md, encoding="utf-8")
>>> form = load_instrument(path)
>>> form.languages
('zh', 'en')
>>> form["age"].missing_codes["98"]
'不知道'
>>> form["tv"].type, form["tv"].row
('select_one', 4)
>>> form.choices("tv").label_of("2", "en")
'No'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from ..errors import InstrumentError
from .model import Choice, ChoiceList, Group, Instrument, Question

__all__ = ["SUPPORTED_SUFFIXES", "load_instrument", "normalise_language", "parse_missing_codes"]

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".md")

#: pyxform's JSON type names -> the toolkit's base type names.
_TYPE_MAP = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select one external": "select_one_external",
    "select_one_external": "select_one_external",
    "rank": "rank",
    "int": "integer",
    "integer": "integer",
    "decimal": "decimal",
    "string": "text",
    "text": "text",
    "dateTime": "datetime",
    "datetime": "datetime",
    "date": "date",
    "time": "time",
    "trigger": "acknowledge",
    "acknowledge": "acknowledge",
}

_FILE_ITEMSET = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)

#: Language names written in forms -> short codes.
_LANGUAGE_NAMES = {
    "chinese": "zh",
    "中文": "zh",
    "汉语": "zh",
    "简体中文": "zh",
    "zh": "zh",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "en": "en",
    "default": "default",
}
_LANGUAGE_CODE = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\s*\)\s*$")

_TRANSLATABLE = ("label", "hint", "guidance_hint", "media", "jr:constraintMsg", "jr:requiredMsg")


def normalise_language(name: str) -> str:
    """The short code of a language as written in a column header.

    Examples
    --------
    >>> normalise_language("中文 (zh)"), normalise_language("Chinese"), normalise_language("English (en)")
    ('zh', 'zh', 'en')
    >>> normalise_language("Nepali (ne)"), normalise_language("French")
    ('ne', 'French')
    """
    text = name.strip()
    match = _LANGUAGE_CODE.search(text)
    if match:
        return match.group(1).lower().replace("_", "-")
    return _LANGUAGE_NAMES.get(text.lower(), text)


def parse_missing_codes(
    text: str | None, *, file: Any = None, row: int | None = None
) -> dict[str, str]:
    """Parse the toolkit column ``missing_codes`` (``98=不知道;99=拒答``).

    Separators ``;``, ``；`` or ``,`` between entries and ``=`` or ``＝`` inside them.

    Examples
    --------
    >>> parse_missing_codes("98=不知道;99=拒答")
    {'98': '不知道', '99': '拒答'}
    >>> parse_missing_codes("")
    {}
    """
    if not text or not str(text).strip():
        return {}
    codes: dict[str, str] = {}
    for entry in re.split(r"[;；,，]", str(text)):
        entry = entry.strip()
        if not entry:
            continue
        code, sep, meaning = entry.replace("＝", "=").partition("=")
        code = code.strip()
        if not sep or not re.fullmatch(r"-?\d+(\.\d+)?|[A-Za-z_.]+", code):
            raise InstrumentError(
                "INS020",
                f"cannot read missing code {entry!r}",
                file=file,
                sheet="survey",
                row=row,
                column="missing_codes",
                expected="code=meaning pairs separated by ';', e.g. 98=不知道;99=拒答",
                found=text,
                hint="Write each missing code as code=meaning and separate them with ';'.",
            )
        codes[code] = meaning.strip()
    return codes


def load_instrument(path: str | Path) -> Instrument:
    """Read an XLSForm (``.xlsx``, ``.xls``, ``.csv`` or markdown table) into an Instrument.

    Parameters
    ----------
    path : str or Path
        The XLSForm file.

    Returns
    -------
    Instrument
        Typed questions (in form order), groups and repeats, choice lists, settings.

    Raises
    ------
    InstrumentError
        ``INS001`` file missing, ``INS002`` unsupported file type, ``INS010`` an error
        reported by pyxform (with its sheet and row), ``INS020`` unreadable missing codes.
    """
    path = Path(path)
    mtime = path.stat().st_mtime_ns if path.is_file() else None
    return _load_cached(path.resolve(), mtime)


@lru_cache(maxsize=64)
def _load_cached(path: Path, _mtime: int | None) -> Instrument:
    if not path.is_file():
        raise InstrumentError(
            "INS001",
            "XLSForm file not found",
            file=path,
            hint="Check the path; instruments live in the study's surveys/ folder.",
        )
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InstrumentError(
            "INS002",
            f"unsupported XLSForm file type '{path.suffix}'",
            file=path,
            expected=", ".join(SUPPORTED_SUFFIXES),
            found=path.suffix or "(no extension)",
            hint="Save the form as .xlsx (Excel) or write it as a markdown table (.md).",
        )
    try:
        workbook = get_xlsform(str(path))
    except PyXFormError as exc:
        raise _from_pyxform(exc, path) from None
    except Exception as exc:  # corrupt workbooks raise zipfile/openpyxl/xlrd errors
        raise InstrumentError(
            "INS003",
            f"the file cannot be read as an XLSForm ({type(exc).__name__}: {exc})",
            file=path,
            hint="Open and re-save the file in Excel or LibreOffice as .xlsx; check it is not password-protected or truncated.",
        ) from None
    if not workbook.survey:
        raise InstrumentError(
            "INS004",
            "the form has no 'survey' sheet (or it is empty)",
            file=path,
            sheet="survey",
            expected="a sheet named 'survey' with columns type, name, label",
            found=", ".join(workbook.sheet_names or []) or "(no sheets)",
            hint="Name the questions sheet exactly 'survey' (lower case).",
        )
    warnings: list[str] = []
    try:
        data = workbook_to_json(
            workbook_dict=workbook,
            form_name="data",
            fallback_form_name=workbook.fallback_form_name or path.stem,
            warnings=warnings,
        )
    except PyXFormError as exc:
        raise _from_pyxform(exc, path) from None
    return _build(data, workbook, path, tuple(warnings))


# --------------------------------------------------------------------------- errors
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]|row[s]?\s*(?:number\s*)?[:#]?\s*'?(\d+)", re.IGNORECASE)
_SHEET = re.compile(r"'(survey|choices|settings|external_choices|entities)' sheet|sheet[:\s]+'?(survey|choices|settings|external_choices|entities)", re.IGNORECASE)
_COLUMN = re.compile(r"'(type|name|label[^']*|list_name|relevant|constraint|calculation|choice_filter|repeat_count|required|default|appearance|parameters)' column|column '([^']+)'", re.IGNORECASE)


def _from_pyxform(exc: PyXFormError, path: Path) -> InstrumentError:
    message = str(exc).strip()
    context = getattr(exc, "context", {}) or {}
    row = context.get("row")
    if row is None:
        match = _ROW.search(message)
        if match:
            row = int(match.group(1) or match.group(2))
    sheet = context.get("sheet")
    if sheet is None:
        match = _SHEET.search(message)
        sheet = (match.group(1) or match.group(2)).lower() if match else None
        if sheet is None and row is not None:
            sheet = "survey"
    column = context.get("column")
    if column is None:
        match = _COLUMN.search(message)
        column = (match.group(1) or match.group(2)) if match else None
    code = getattr(exc, "code", None)
    pyxform_code = f" (pyxform {code.name})" if code is not None else ""
    return InstrumentError(
        "INS010",
        f"pyxform rejected the form{pyxform_code}: {message}",
        file=path,
        sheet=sheet,
        row=int(row) if row is not None else None,
        column=column,
        hint="Fix the row pyxform names; see https://xlsform.org for the rules of each column.",
    )


# --------------------------------------------------------------------------- building
def _row_maps(
    workbook: Any,
) -> tuple[dict[str, int], dict[str, str], dict[tuple[str, str], int]]:
    """Sheet rows and type cells of survey names, rows of (list_name, choice name).

    Rows are counted as pyxform counts them (header = row 1, blank rows kept).
    """
    survey_rows: dict[str, int] = {}
    survey_types: dict[str, str] = {}
    for index, row in enumerate(workbook.survey or [], start=2):
        name = _cell(row, "name")
        if name and name not in survey_rows:
            survey_rows[name] = index
            survey_types[name] = _cell(row, "type") or ""
    choice_rows: dict[tuple[str, str], int] = {}
    for index, row in enumerate(workbook.choices or [], start=2):
        list_name = _cell(row, "list_name", "list name")
        name = _cell(row, "name", "value")
        if list_name and name:
            choice_rows.setdefault((list_name, name), index)
    return survey_rows, survey_types, choice_rows


def _cell(row: Mapping[str, Any], *keys: str) -> str | None:
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    for key in keys:
        value = lowered.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


class _Builder:
    def __init__(self, data: Mapping[str, Any], workbook: Any, path: Path) -> None:
        self.data = data
        self.path = path
        self.survey_rows, self.survey_types, self.choice_rows = _row_maps(workbook)
        self.language_names: dict[str, str] = {}
        self.questions: list[Question] = []
        self.groups: list[Group] = []

    def lang(self, name: str) -> str:
        code = normalise_language(name)
        self.language_names.setdefault(name, code)
        return code

    def texts(self, value: Any) -> dict[str, str]:
        if value is None:
            return {}
        if isinstance(value, Mapping):
            out: dict[str, str] = {}
            for lang, text in value.items():
                if isinstance(text, Mapping):  # media: {"image": {...}} -> skip nested
                    continue
                if text is not None and str(text) != "":
                    out[self.lang(str(lang))] = str(text)
            return out
        return {"default": str(value)}

    def walk(self, children: Iterable[Mapping[str, Any]], path: tuple[str, ...], repeat: str | None) -> None:
        for child in children:
            kind = child.get("type")
            if kind in ("group", "repeat", "loop"):
                control = child.get("control") or {}
                bind = child.get("bind") or {}
                group = Group(
                    name=child["name"],
                    kind="repeat" if kind == "repeat" else "group",
                    labels=self.texts(child.get("label")),
                    relevant=bind.get("relevant"),
                    repeat_count=control.get("jr:count") or child.get("repeat_count"),
                    appearance=control.get("appearance"),
                    path=path,
                    repeat=repeat,
                    row=self.survey_rows.get(child["name"]),
                )
                self.groups.append(group)
                inner_repeat = group.name if group.kind == "repeat" else repeat
                self.walk(child.get("children") or [], (*path, group.name), inner_repeat)
            else:
                self.questions.append(self.question(child, path, repeat))

    def question(self, child: Mapping[str, Any], path: tuple[str, ...], repeat: str | None) -> Question:
        name = child["name"]
        row = self.survey_rows.get(name)
        raw_type = str(child.get("type", ""))
        qtype = _TYPE_MAP.get(raw_type, raw_type)
        itemset = child.get("itemset")
        list_name = child.get("list_name")
        itemset_file = None
        if isinstance(itemset, str) and _FILE_ITEMSET.search(itemset):
            itemset_file = itemset
            list_name = None
            qtype = {"select_one": "select_one_from_file", "select_multiple": "select_multiple_from_file"}.get(qtype, qtype)
        elif qtype.startswith("select") or qtype == "rank":
            list_name = list_name or itemset
        bind = dict(child.get("bind") or {})
        control = dict(child.get("control") or {})
        raw_type_cell = self.survey_types.get(name, "")
        or_other = bool(list_name) and bool(re.search(r"\bor[_ ]other\b", raw_type_cell))
        known = {
            "type", "name", "label", "hint", "bind", "control", "choices", "itemset", "list_name",
            "choice_filter", "default", "parameters", "pii", "missing_codes", "role", "guidance_hint",
        }
        extra = {k: v for k, v in child.items() if k not in known}
        extra_bind = {k: v for k, v in bind.items() if k not in (
            "relevant", "constraint", "calculate", "required", "readonly", "jr:constraintMsg", "jr:requiredMsg")}
        if extra_bind:
            extra["bind"] = extra_bind
        extra_control = {k: v for k, v in control.items() if k != "appearance"}
        if extra_control:
            extra["control"] = extra_control
        pii_text = str(child.get("pii", "") or "").strip().lower()
        return Question(
            name=name,
            type=qtype,
            labels=self.texts(child.get("label")),
            hints=self.texts(child.get("hint")),
            list_name=list_name,
            or_other=bool(or_other),
            itemset_file=itemset_file,
            required=_text(bind.get("required")),
            required_message=self.texts(bind.get("jr:requiredMsg")),
            relevant=_text(bind.get("relevant")),
            constraint=_text(bind.get("constraint")),
            constraint_message=self.texts(bind.get("jr:constraintMsg")),
            calculation=_text(bind.get("calculate")),
            choice_filter=_text(child.get("choice_filter")),
            appearance=_text(control.get("appearance")),
            default=_text(child.get("default")),
            read_only=_text(bind.get("readonly")),
            parameters=_parameters(child.get("parameters")),
            group_path=path,
            repeat=repeat,
            row=row,
            pii=pii_text in ("yes", "true", "1", "y", "是"),
            missing_codes=parse_missing_codes(child.get("missing_codes"), file=self.path, row=row),
            role=_text(child.get("role")),
            extra=extra,
        )

    def choice_lists(self) -> dict[str, ChoiceList]:
        lists: dict[str, ChoiceList] = {}
        for list_name, items in (self.data.get("choices") or {}).items():
            choices = []
            for item in items:
                name = str(item.get("name", ""))
                extra = {k: str(v) for k, v in item.items() if k not in ("name", "label", "media")}
                choices.append(
                    Choice(
                        name=name,
                        labels=self.texts(item.get("label")),
                        extra=extra,
                        row=self.choice_rows.get((list_name, name)),
                    )
                )
            lists[list_name] = ChoiceList(name=list_name, choices=tuple(choices))
        return lists


def _parameters(value: Any) -> dict[str, str]:
    """Question parameters as a dict (pyxform gives a dict, or the raw cell text)."""
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs = re.findall(r"([\w.-]+)\s*=\s*([^\s;,]+)", str(value))
    return dict(pairs)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _build(data: Mapping[str, Any], workbook: Any, path: Path, warnings: tuple[str, ...]) -> Instrument:
    builder = _Builder(data, workbook, path)
    builder.walk(data.get("children") or [], (), None)
    choice_lists = builder.choice_lists()
    settings = dict((workbook.settings or [{}])[0]) if workbook.settings else {}
    default_language = data.get("default_language")
    default_code = builder.lang(default_language) if default_language and default_language != "default" else None
    languages = list(dict.fromkeys(builder.language_names.values()))
    if default_code and default_code in languages:
        languages.remove(default_code)
        languages.insert(0, default_code)
    if len(languages) > 1 and "default" in languages:
        languages.remove("default")  # pyxform's untranslated generated labels
    return Instrument(
        path=path,
        form_id=str(data.get("id_string") or data.get("name") or path.stem),
        title=str(data.get("title") or path.stem),
        version=_text(data.get("version")),
        default_language=default_code or (languages[0] if languages else None),
        languages=tuple(languages),
        questions=tuple(builder.questions),
        groups=tuple(builder.groups),
        choice_lists=choice_lists,
        settings=settings,
        language_names=dict(builder.language_names),
        pyxform_json=data,
        warnings=warnings,
    )
