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
('select_one', 3)
>>> form.choices("tv").label_of("2", "en")
'No'
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyxform.constants import EXTERNAL_INSTANCE_TYPES
from pyxform.errors import PyXFormError
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT
from pyxform.validators.pyxform.sheet_misspellings import find_sheet_misspellings
from pyxform.xls2json import RE_END_CONTROL, workbook_to_json

from ..errors import InstrumentError
from .form_errors import from_pyxform
from .languages import language_codes, normalise_language
from .model import Choice, ChoiceList, Group, Instrument, Question
from .sources import SUPPORTED_SUFFIXES, RowMap, file_row, read_form, remap_error, remap_warning

__all__ = ["SUPPORTED_SUFFIXES", "load_instrument", "normalise_language", "parse_missing_codes"]

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

#: Columns that carry one text per language (``label::English (en)``).
_TRANSLATABLE_HEADERS = (
    "label",
    "hint",
    "guidance_hint",
    "constraint_message",
    "constraint message",
    "required_message",
    "image",
    "big-image",
    "audio",
    "video",
    "media::image",
    "media::audio",
    "media::video",
    "jr:constraintmsg",
    "jr:requiredmsg",
)
_TRANSLATABLE = "|".join(re.escape(h) for h in _TRANSLATABLE_HEADERS)
#: ``label::`` with no language, ``label:::x``, or an unclosed ``(code``.
_BAD_LANGUAGE_HEADER = re.compile(
    rf"^(?P<col>{_TRANSLATABLE})\s*(?:::\s*$|:{{3,}}|::.*\([^)]*$)", re.I
)
#: ``label:English`` (single colon): pyxform's old syntax, ignored once any header uses ``::``.
_SINGLE_COLON_HEADER = re.compile(rf"^(?P<col>{_TRANSLATABLE})\s*:(?!:)\s*\S", re.I)

#: Element types pyxform's builder accepts besides its question types.
_BUILDER_TYPES = frozenset({"entity", "include", *EXTERNAL_INSTANCE_TYPES})


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
        The XLSForm file. A form split into ``<x>_survey.csv`` and ``<x>_choices.csv``
        is loaded from its survey file.

    Returns
    -------
    Instrument
        Typed questions (in form order), groups and repeats, choice lists, settings.

    Raises
    ------
    InstrumentError
        A coded error naming the file, sheet, row and column (codes in
        ``docs/errors/instrument.md``): e.g. ``INS001`` file missing, ``INS003``
        unreadable file, ``INS011`` unknown type, ``INS013`` choice list missing,
        ``INS020`` unreadable missing codes, ``INS021`` bad language header.
    """
    path = Path(path)
    mtime = path.stat().st_mtime_ns if path.is_file() else None
    return _load_cached(path.resolve(), mtime)


@lru_cache(maxsize=64)
def _load_cached(path: Path, _mtime: int | None) -> Instrument:
    workbook, rowmap = read_form(path)
    if not workbook.survey:
        sheets = list(workbook.sheet_names or [])
        similar = find_sheet_misspellings(key="survey", keys=sheets)
        raise InstrumentError(
            "INS004",
            "the form has no 'survey' sheet (or it has no questions)",
            file=path,
            sheet="survey",
            expected="a sheet named 'survey' with columns type, name, label",
            found=", ".join(sheets) or "(no sheets)",
            hint="Name the questions sheet exactly 'survey' (lower case)."
            + (f" {similar}" if similar else ""),
        )
    _check_headers(workbook, path, rowmap)
    warnings: list[str] = []
    try:
        data = workbook_to_json(
            workbook_dict=workbook,
            form_name="data",
            fallback_form_name=workbook.fallback_form_name or path.stem,
            warnings=warnings,
        )
    except PyXFormError as exc:
        error = remap_error(from_pyxform(exc, path), rowmap)
        raise _every_untyped_row(error, workbook, rowmap) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # pyxform trips over some malformed sheets without a message of its own.
        raise InstrumentError(
            "INS010",
            f"pyxform could not read the form ({type(exc).__name__}: {exc})",
            file=path,
            hint="Check the survey and choices sheets for stray cells, merged cells or a missing header row.",
        ) from None
    return _build(data, workbook, path, tuple(remap_warning(w, rowmap) for w in warnings), rowmap)


def _every_untyped_row(err: InstrumentError, workbook: Any, rowmap: RowMap) -> InstrumentError:
    """An ``INS018`` naming every survey row with text but no type, not only pyxform's first.

    Forms shared as templates hold instruction rows (a label and nothing else, e.g.
    REACH's MSNA template: "Case 1: You only look at formal in-person education"); the
    team deletes them all at once instead of meeting them one run at a time.
    """
    if err.code != "INS018":
        return err
    rows = [
        file_row(rowmap, "survey", index) or index
        for index, row in enumerate(workbook.survey or [], start=2)
        if not _cell(row, "type") and any(str(v).strip() for v in row.values() if v is not None)
    ]
    if len(rows) < 2:
        return err
    data = err.to_dict()
    code, message = data.pop("code"), data.pop("message")
    data["found"] = "rows " + ", ".join(map(str, rows))
    data["hint"] = (
        f"{len(rows)} rows of the survey sheet have text but no type (rows "
        + ", ".join(map(str, rows))
        + "): fill in the type column of each, or delete the rows that are comments."
    )
    return type(err)(code, message, **data)


def _check_headers(workbook: Any, path: Path, rowmap: RowMap) -> None:
    """Raise INS021 for a language header pyxform would misread or silently ignore.

    ``label::`` (no language) and ``label::English (en`` (unclosed code) are always
    wrong; ``label:English`` (single colon, pyxform's old syntax) is read by pyxform only
    when no header of the sheet uses ``::``; mixed with ``::`` headers it is ignored.
    """
    for sheet in ("survey", "choices"):
        headers = getattr(workbook, f"{sheet}_header", None) or []
        keys = [str(k).strip() for k in (headers[0] if headers else [])]
        double = any("::" in k for k in keys)
        for text in keys:
            match = _BAD_LANGUAGE_HEADER.match(text) or (
                double and _SINGLE_COLON_HEADER.match(text)
            )
            if match:
                column = match.group("col")
                raise InstrumentError(
                    "INS021",
                    f"malformed language column header '{text}'",
                    file=path,
                    sheet=sheet,
                    row=file_row(rowmap, sheet, 1),
                    column=text,
                    expected=f"{column}::LANGUAGE, e.g. {column}::中文 (zh) or {column}::English (en)",
                    found=text,
                    hint="Separate the column and the language with two colons '::' (as the other "
                    "language columns do) and close the parenthesis of the language code.",
                )


# --------------------------------------------------------------------------- building
#: Names pyxform makes up for unnamed rows; they end with the row number.
_GENERATED_NOTE = re.compile(r"^(?:generated_note_name|reserved_name_for_field_list_labels)_(\d+)$")


def _row_queues(
    workbook: Any, rowmap: RowMap
) -> tuple[dict[str, deque[tuple[int, str]]], dict[tuple[str, str], int]]:
    """Sheet rows (and type cells) of survey names in sheet order; rows of (list, choice).

    Rows are counted as pyxform counts them (header = row 1, blank rows kept). A name
    used twice (allowed in different groups) gets its rows in order, matched to pyxform's
    elements as the form is walked.
    """
    survey: dict[str, deque[tuple[int, str]]] = defaultdict(deque)
    for index, row in enumerate(workbook.survey or [], start=2):
        name = _cell(row, "name")
        kind = _cell(row, "type") or ""
        if name and not RE_END_CONTROL.search(kind.lower()):
            survey[name].append((file_row(rowmap, "survey", index) or index, kind))
    choice_rows: dict[tuple[str, str], int] = {}
    for index, row in enumerate(workbook.choices or [], start=2):
        list_name = _cell(row, "list_name", "list name")
        name = _cell(row, "name", "value")
        if list_name and name:
            choice_rows.setdefault((list_name, name), file_row(rowmap, "choices", index) or index)
    return survey, choice_rows


def _cell(row: Mapping[str, Any], *keys: str) -> str | None:
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    for key in keys:
        value = lowered.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _language_groups(node: Any) -> Iterable[tuple[str, ...]]:
    """Every group of language names found together in one translatable text of the JSON."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in (
                "label",
                "hint",
                "guidance_hint",
                "jr:constraintMsg",
                "jr:requiredMsg",
            ) and isinstance(value, Mapping):
                yield tuple(str(k) for k, v in value.items() if not isinstance(v, Mapping))
            elif key == "media" and isinstance(value, Mapping):
                for texts in value.values():
                    if isinstance(texts, Mapping):
                        yield tuple(str(k) for k in texts)
            else:
                yield from _language_groups(value)
    elif isinstance(node, list):
        for item in node:
            yield from _language_groups(item)


def _header_languages(workbook: Any) -> list[str]:
    """Language names declared by the column headers (``label::English (en)``), in order.

    A language column declares its language even when all its cells are empty (pyxform's
    JSON then never mentions it), so that checks can report the missing texts.
    """
    names: list[str] = []
    for sheet in ("survey", "choices"):
        headers = getattr(workbook, f"{sheet}_header", None) or []
        keys = [str(k).strip() for k in (headers[0] if headers else [])]
        double = any("::" in k for k in keys)
        for key in keys:
            parts = key.split("::", 1) if double else key.split(":", 1)
            if len(parts) != 2:
                continue
            column, language = parts[0].strip().lower(), parts[1].strip()
            if language and column in _TRANSLATABLE_HEADERS and not column.startswith("jr"):
                names.append(language)
    return list(dict.fromkeys(names))


class _Builder:
    def __init__(self, data: Mapping[str, Any], workbook: Any, path: Path, rowmap: RowMap) -> None:
        self.data = data
        self.path = path
        self.rowmap = rowmap
        self.survey_rows, self.choice_rows = _row_queues(workbook, rowmap)
        self.codes = language_codes(_language_groups(data))
        self.language_names: dict[str, str] = {}
        for name in _header_languages(workbook):
            self.lang(name)
        self.questions: list[Question] = []
        self.groups: list[Group] = []

    def lang(self, name: str) -> str:
        code = self.codes.get(name) or normalise_language(name)
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
        return {"default": str(value)} if str(value) != "" else {}

    def row_of(self, name: str) -> tuple[int | None, str]:
        queue = self.survey_rows.get(name)
        if queue:
            return queue.popleft()
        note = _GENERATED_NOTE.match(name)
        if note:
            return file_row(self.rowmap, "survey", int(note.group(1))), "note"
        return None, ""

    def walk(
        self, children: Iterable[Mapping[str, Any]], path: tuple[str, ...], repeat: str | None
    ) -> None:
        for child in children:
            kind = child.get("type")
            if kind in ("group", "repeat", "loop"):
                control = child.get("control") or {}
                bind = child.get("bind") or {}
                row, _ = self.row_of(child["name"])
                group = Group(
                    name=child["name"],
                    kind="repeat" if kind == "repeat" else "group",
                    labels=self.texts(child.get("label")),
                    relevant=_text(bind.get("relevant")),
                    repeat_count=_text(control.get("jr:count") or child.get("repeat_count")),
                    appearance=_text(control.get("appearance")),
                    path=path,
                    repeat=repeat,
                    row=row,
                )
                self.groups.append(group)
                inner_repeat = group.name if group.kind == "repeat" else repeat
                self.walk(child.get("children") or [], (*path, group.name), inner_repeat)
            else:
                self.questions.append(self.question(child, path, repeat))

    def question(
        self, child: Mapping[str, Any], path: tuple[str, ...], repeat: str | None
    ) -> Question:
        name = child["name"]
        row, raw_type_cell = self.row_of(name)
        raw_type = str(child.get("type", ""))
        if raw_type not in QUESTION_TYPE_DICT and raw_type not in _BUILDER_TYPES:
            _raise_unknown_type(self.path, row, raw_type, raw_type_cell, name)
        qtype = _TYPE_MAP.get(raw_type, raw_type)
        itemset = child.get("itemset")
        list_name = child.get("list_name")
        itemset_file = None
        if isinstance(itemset, str) and _FILE_ITEMSET.search(itemset):
            itemset_file = itemset
            list_name = None
            qtype = {
                "select_one": "select_one_from_file",
                "select_multiple": "select_multiple_from_file",
            }.get(qtype, qtype)
        elif qtype.startswith("select") or qtype == "rank":
            list_name = list_name or itemset
            if not list_name and qtype != "select_one_external":
                _raise_unknown_type(self.path, row, "select", raw_type_cell or raw_type, name)
        bind = dict(child.get("bind") or {})
        control = dict(child.get("control") or {})
        or_other = bool(list_name) and bool(
            re.search(r"\bor[_ ](other|specify other)\b", raw_type_cell)
        )
        known = {
            "type",
            "name",
            "label",
            "hint",
            "bind",
            "control",
            "choices",
            "itemset",
            "list_name",
            "choice_filter",
            "default",
            "parameters",
            "pii",
            "missing_codes",
            "role",
            "guidance_hint",
        }
        extra = {k: v for k, v in child.items() if k not in known}
        extra_bind = {
            k: v
            for k, v in bind.items()
            if k
            not in (
                "relevant",
                "constraint",
                "calculate",
                "required",
                "readonly",
                "jr:constraintMsg",
                "jr:requiredMsg",
            )
        }
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


def _raise_unknown_type(path: Path, row: int | None, raw_type: str, cell: str, name: str) -> None:
    written = cell or raw_type
    if re.fullmatch(
        r"(select[_ ]one|select[_ ]multiple|select all that apply|rank|select1)",
        written.strip(),
        re.I,
    ):
        raise InstrumentError(
            "INS012",
            f"the select question '{name}' names no choice list",
            file=path,
            sheet="survey",
            row=row,
            column="type",
            expected=f"{written.strip()} LIST_NAME, e.g. select_one yes_no",
            found=written,
            hint="Write the list_name of the choices sheet after the type, separated by a space.",
        )
    raise InstrumentError(
        "INS011",
        f"unknown question type '{written}' for '{name}'",
        file=path,
        sheet="survey",
        row=row,
        column="type",
        expected="an XLSForm type: integer, decimal, text, select_one LIST, select_multiple LIST, date, time, geopoint, note, calculate, ...",
        found=written,
        hint="Correct the spelling of the type (see xlsform.org for the list of types).",
    )


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


def _build(
    data: Mapping[str, Any], workbook: Any, path: Path, warnings: tuple[str, ...], rowmap: RowMap
) -> Instrument:
    builder = _Builder(data, workbook, path, rowmap)
    builder.walk(data.get("children") or [], (), None)
    choice_lists = builder.choice_lists()
    settings = dict((workbook.settings or [{}])[0]) if workbook.settings else {}
    languages = list(dict.fromkeys(builder.language_names.values()))
    default_language = data.get("default_language")
    default_code = None
    if default_language and default_language != "default":
        default_code = builder.codes.get(default_language) or normalise_language(default_language)
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
