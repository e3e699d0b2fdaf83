"""``baicun instrument check``: every problem of a form in one tidy table.

Combines pyxform's errors and warnings with the toolkit's own checks:

========  ========  ================================================================
code      severity  problem
========  ========  ================================================================
INS0xx    error     the form cannot be read or converted (the loader's coded error)
INS101    error     a name used twice (also across groups: data columns must be unique)
INS102    warning   a question or group label missing in a declared language
INS103    warning   a choice label missing in a declared language
INS104    warning   a constraint without a message in a declared language
INS105    error     a select question names a choice list that does not exist
INS106    info      a choice list no question uses
INS107    error     an expression names a field that does not exist
INS108    warning   a skip condition depends on a question asked later
INS109    error     a missing code the constraint rejects
INS110    error     a missing code that is not a choice of the select's list
INS111    error     a ``pii`` value other than yes/no
INS112    error     a ``role`` value the toolkit does not know
INS113    warning   the default language is not one of the form's languages
INS114    warning   a settings column pyxform does not know (likely a typo)
INS115    warning   form_id with spaces or other characters ODK servers refuse
INS116    warning   the file of a select_one_from_file is not beside the form
INS117    warning   a pyxform warning
INS118    error     more than one question with role ``id``
INS119    error     role ``weight`` or ``fpc`` on a question that is not a number
========  ========  ================================================================

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "f.md"
>>> _ = path.write_text('''
... | survey |
... |        | type    | name | label::中文 (zh) | label::English (en) | constraint         | missing_codes |
... |        | integer | age  | 年龄             |                     | . >= 0 and . <= 120 | 98=不知道;999=拒答 |
... ''', encoding="utf-8")
>>> issues = check_instrument(path)
>>> issues[["severity", "code", "row", "column"]].values.tolist()
[['error', 'INS109', 2, 'missing_codes'], ['warning', 'INS102', 2, 'label::English (en)'], ['warning', 'INS104', 2, 'constraint_message::中文 (zh)'], ['warning', 'INS104', 2, 'constraint_message::English (en)']]
>>> print(issues.loc[0, "message"])
the constraint of 'age' (. >= 0 and . <= 120) rejects missing code 999 (拒答); add `or . = 999` to the constraint
"""

from __future__ import annotations

import copy
import difflib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InstrumentError
from ..expressions import field_references
from .load import load_instrument
from .logic import UNKNOWN, evaluate, references, rule
from .model import METADATA_TYPES, Instrument, Question

__all__ = ["COLUMNS", "PII_VALUES", "ROLES", "check_instrument"]

#: Columns of the issues table.
COLUMNS = ("severity", "code", "sheet", "row", "column", "name", "message")

#: Values the toolkit column ``pii`` accepts (case-insensitive; blank = no).
PII_VALUES = frozenset({"yes", "no", "true", "false", "y", "n", "1", "0", "是", "否"})

#: Values the toolkit column ``role`` accepts.
ROLES = frozenset(
    {
        "id",
        "parent_id",
        "weight",
        "strata",
        "psu",
        "ssu",
        "fpc",
        "cluster",
        "domain",
        "enumerator",
        "supervisor",
        "respondent",
        "date",
        "wave",
    }
)

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
#: Types that are never shown to a respondent (no label needed).
_UNSHOWN = (
    frozenset({"calculate", "hidden", "entity", "xml-external", "csv-external"}) | METADATA_TYPES
)
_SETTINGS_COLUMNS = frozenset(
    {
        "form_title",
        "form_id",
        "id_string",
        "version",
        "default_language",
        "instance_name",
        "style",
        "submission_url",
        "public_key",
        "auto_send",
        "auto_delete",
        "allow_choice_duplicates",
        "clean_text_values",
        "namespaces",
        "omit_instanceid",
        "omit_instanceID",
        "name",
        "prefix",
        "delimiter",
        "client_editable",
        "add_none_option",
        "flat",
        "sms_keyword",
        "sms_separator",
        "sms_allow_media",
        "sms_date_format",
        "sms_datetime_format",
        "sms_response",
        "attribute",
        "instance_xmlns",
        "entity_version",
        "set_form_title",
        "set_form_id",
    }
)


def _issue(
    severity: str,
    code: str,
    message: str,
    *,
    sheet: str | None = "survey",
    row: int | None = None,
    column: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    return {
        "severity": severity,
        "code": code,
        "sheet": sheet,
        "row": row,
        "column": column,
        "name": name,
        "message": message,
    }


def _frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    if len(frame):
        order = frame["severity"].map(_SEVERITY_ORDER)
        frame = frame.assign(_o=order).sort_values(["_o", "code"], kind="stable").drop(columns="_o")
    return frame.reset_index(drop=True)


def _from_error(err: InstrumentError) -> dict[str, Any]:
    message = err.message if not err.hint else f"{err.message}. {err.hint}"
    return _issue("error", err.code, message, sheet=err.sheet, row=err.row, column=err.column)


def check_instrument(form: str | Path | Instrument, *, xform: bool = True) -> pd.DataFrame:
    """Check a form; one row per problem (empty table when the form is clean).

    Parameters
    ----------
    form : str, Path or Instrument
        The XLSForm file, or an Instrument already loaded.
    xform : bool
        Also build the XForm with pyxform, which catches what only conversion finds.

    Returns
    -------
    pandas.DataFrame
        Columns ``severity`` (error, warning, info), ``code``, ``sheet``, ``row``,
        ``column``, ``name``, ``message``; errors first. A form that cannot be read gives
        a single error row with the loader's code instead of raising.
    """
    if isinstance(form, Instrument):
        instrument = form
    else:
        try:
            instrument = load_instrument(form)
        except InstrumentError as err:
            return _frame([_from_error(err)])
    rows = list(_checks(instrument))
    if xform:
        rows.extend(_xform_check(instrument))
    return _frame(rows)


def _checks(form: Instrument) -> Iterator[dict[str, Any]]:
    yield from _pyxform_warnings(form)
    yield from _duplicates(form)
    yield from _labels(form)
    yield from _choice_lists(form)
    yield from _expressions(form)
    yield from _missing_codes(form)
    yield from _toolkit_columns(form)
    yield from _roles(form)
    yield from _settings(form)


def _xform_check(form: Instrument) -> Iterator[dict[str, Any]]:
    from pyxform.builder import create_survey_element_from_dict

    try:
        survey = create_survey_element_from_dict(copy.deepcopy(dict(form.pyxform_json)))
        survey.to_xml(validate=False, warnings=[])
    except Exception as exc:
        from .xform import _conversion_error

        yield _from_error(_conversion_error(exc, form.path))


# ---------------------------------------------------------------------------- checks
_ROW_IN_TEXT = re.compile(r"\[row\s*:\s*(\d+)\]")


def _pyxform_warnings(form: Instrument) -> Iterator[dict[str, Any]]:
    for text in form.warnings:
        first = re.sub(r"\s+", " ", text.split("\n")[0]).strip()
        match = _ROW_IN_TEXT.search(first)
        sheet = "choices" if "'choices' sheet" in first else "survey"
        yield _issue(
            "warning",
            "INS117",
            f"pyxform: {first}",
            sheet=sheet if match else None,
            row=int(match.group(1)) if match else None,
        )


def _duplicates(form: Instrument) -> Iterator[dict[str, Any]]:
    names = [(q.name, q.row, q.group_path) for q in form.questions] + [
        (g.name, g.row, g.path) for g in form.groups
    ]
    counts = Counter(n for n, _, _ in names)
    for name, row, _path in names:
        if counts[name] > 1 and name not in ("instanceID", "meta"):
            others = sorted({"/".join((*p, n)) for n, _, p in names if n == name})
            yield _issue(
                "error",
                "INS101",
                f"the name '{name}' is used {counts[name]} times ({', '.join(others)}); "
                "exports and the toolkit need one column per name. Rename one of them.",
                row=row,
                column="name",
                name=name,
            )


def _language_headers(form: Instrument) -> dict[str, str]:
    """code -> the header suffix as written in the form (first one)."""
    out: dict[str, str] = {}
    for written, code in form.language_names.items():
        out.setdefault(code, written)
    return out


def _declared(form: Instrument) -> tuple[str, ...]:
    return tuple(lang for lang in form.languages if lang != "default")


def _display(q: Question) -> str:
    if q.name.startswith("generated_note_name_"):
        return f"the note on row {q.row}"
    return f"'{q.name}'"


def _labels(form: Instrument) -> Iterator[dict[str, Any]]:
    languages = _declared(form)
    headers = _language_headers(form)

    def col(kind: str, lang: str) -> str:
        return f"{kind}::{headers.get(lang, lang)}"

    or_other = {q.name for q in form.questions if q.or_other}
    for q in form.questions:
        if q.type in _UNSHOWN or q.name == "instanceID":
            continue
        if q.row is None and q.name.endswith("_other") and q.name[: -len("_other")] in or_other:
            continue  # pyxform's generated 'specify other' question (pyxform warns about it)
        if not q.labels and q.type != "note":
            yield _issue(
                "warning",
                "INS102",
                f"'{q.name}' has no label",
                row=q.row,
                column="label",
                name=q.name,
            )
        elif len(languages) > 1 or (languages and "default" in q.labels):
            for lang in languages:
                if q.labels and not q.labels.get(lang):
                    yield _issue(
                        "warning",
                        "INS102",
                        f"{_display(q)} has no label in {headers.get(lang, lang)}",
                        row=q.row,
                        column=col("label", lang),
                        name=q.name,
                    )
            if q.hints:
                for lang in languages:
                    if not q.hints.get(lang):
                        yield _issue(
                            "warning",
                            "INS102",
                            f"'{q.name}' has a hint but none in {headers.get(lang, lang)}",
                            row=q.row,
                            column=col("hint", lang),
                            name=q.name,
                        )
        if q.constraint and languages:
            for lang in languages:
                if not q.constraint_message.get(lang) and not q.constraint_message.get("default"):
                    yield _issue(
                        "warning",
                        "INS104",
                        f"'{q.name}' has a constraint but no constraint message in "
                        f"{headers.get(lang, lang)}; the enumerator sees only 'value not allowed'",
                        row=q.row,
                        column=col("constraint_message", lang),
                        name=q.name,
                    )
        elif q.constraint and not q.constraint_message:
            yield _issue(
                "warning",
                "INS104",
                f"'{q.name}' has a constraint but no constraint message",
                row=q.row,
                column="constraint_message",
                name=q.name,
            )
    for g in form.groups:
        if g.name == "meta" or not g.labels or len(languages) < 2:
            continue
        for lang in languages:
            if not g.labels.get(lang):
                yield _issue(
                    "warning",
                    "INS102",
                    f"group '{g.name}' has no label in {headers.get(lang, lang)}",
                    row=g.row,
                    column=col("label", lang),
                    name=g.name,
                )
    if len(languages) > 1:
        for choice_list in form.choice_lists.values():
            for choice in choice_list:
                if not choice.labels:
                    continue
                for lang in languages:
                    if not choice.labels.get(lang):
                        yield _issue(
                            "warning",
                            "INS103",
                            f"choice '{choice.name}' of list '{choice_list.name}' has no label in "
                            f"{headers.get(lang, lang)}",
                            sheet="choices",
                            row=choice.row,
                            column=col("label", lang),
                            name=f"{choice_list.name}/{choice.name}",
                        )


def _choice_lists(form: Instrument) -> Iterator[dict[str, Any]]:
    used: set[str] = set()
    for q in form.questions:
        if q.list_name:
            used.add(q.list_name)
            if q.list_name not in form.choice_lists and q.type != "select_one_external":
                yield _issue(
                    "error",
                    "INS105",
                    f"'{q.name}' uses the choice list '{q.list_name}', which is not on the choices sheet",
                    row=q.row,
                    column="type",
                    name=q.name,
                )
        for value in q.parameters.values():
            used.add(str(value))
    for name, choice_list in form.choice_lists.items():
        if name not in used:
            row = min((c.row for c in choice_list if c.row), default=None)
            yield _issue(
                "info",
                "INS106",
                f"the choice list '{name}' is not used by any question",
                sheet="choices",
                row=row,
                column="list_name",
                name=name,
            )


def _expression_cells(form: Instrument) -> Iterator[tuple[str, str, Any, str]]:
    """(column, expression, element, kind) for every expression of the form."""
    for q in form.questions:
        for column, value in (
            ("relevant", q.relevant),
            ("constraint", q.constraint),
            ("calculation", q.calculation),
            ("choice_filter", q.choice_filter),
            ("required", q.required),
            ("default", q.default),
            ("read_only", q.read_only),
        ):
            if value:
                yield column, value, q, "question"
        for label in q.labels.values():
            if "${" in label:
                yield "label", label, q, "question"
    for g in form.groups:
        for column, value in (("relevant", g.relevant), ("repeat_count", g.repeat_count)):
            if value:
                yield column, value, g, "group"


def _expressions(form: Instrument) -> Iterator[dict[str, Any]]:
    known = set(form.names) | {g.name for g in form.groups}
    order = {q.name: i for i, q in enumerate(form.questions)}
    for column, expression, element, _kind in _expression_cells(form):
        refs = references(expression) if column != "label" else field_references(expression)
        for ref in refs:
            if ref not in known:
                close = difflib.get_close_matches(ref, sorted(known), n=1)
                yield _issue(
                    "error",
                    "INS107",
                    f"the {column} of '{element.name}' names '{ref}', which is not a question of the form"
                    + (f" (did you mean '{close[0]}'?)" if close else ""),
                    row=element.row,
                    column=column,
                    name=element.name,
                )
        if column == "relevant" and isinstance(element, Question):
            here = order.get(element.name, -1)
            for ref in refs:
                if ref in order and order[ref] > here:
                    yield _issue(
                        "warning",
                        "INS108",
                        f"'{element.name}' is shown depending on '{ref}', which is asked later in the form",
                        row=element.row,
                        column=column,
                        name=element.name,
                    )


def _missing_codes(form: Instrument) -> Iterator[dict[str, Any]]:
    for q in form.questions:
        if not q.missing_codes:
            continue
        if q.is_select and q.list_name in form.choice_lists:
            codes = set(form.choice_lists[q.list_name].codes)
            for code, meaning in q.missing_codes.items():
                if code not in codes:
                    yield _issue(
                        "error",
                        "INS110",
                        f"missing code {code} ({meaning}) of '{q.name}' is not a choice of list "
                        f"'{q.list_name}'; it cannot be recorded. Add it to the choices sheet.",
                        row=q.row,
                        column="missing_codes",
                        name=q.name,
                    )
        if q.type == "integer":
            for code in q.missing_codes:
                if not re.fullmatch(r"-?\d+", code):
                    yield _issue(
                        "error",
                        "INS109",
                        f"missing code {code} of integer question '{q.name}' is not a whole number",
                        row=q.row,
                        column="missing_codes",
                        name=q.name,
                    )
        parsed = rule(q.constraint)
        if parsed is None:
            continue
        tree = parsed.tree
        for code, meaning in q.missing_codes.items():
            if evaluate(tree, {".": code}) is False:
                yield _issue(
                    "error",
                    "INS109",
                    f"the constraint of '{q.name}' ({q.constraint}) rejects missing code {code} "
                    f"({meaning}); add `or . = {code}` to the constraint",
                    row=q.row,
                    column="missing_codes",
                    name=q.name,
                )
            elif evaluate(tree, {".": code}) is UNKNOWN:
                continue


def _raw_values(form: Instrument, key: str) -> dict[str, str]:
    """Raw cell values of a toolkit column, by question name (from pyxform's JSON)."""
    out: dict[str, str] = {}

    def walk(children: Iterable[Mapping[str, Any]]) -> None:
        for child in children:
            if key in child and child.get(key) not in (None, ""):
                out.setdefault(str(child.get("name")), str(child[key]))
            walk(child.get("children") or [])

    walk(form.pyxform_json.get("children") or [])
    return out


def _toolkit_columns(form: Instrument) -> Iterator[dict[str, Any]]:
    rows = {q.name: q.row for q in form.questions} | {g.name: g.row for g in form.groups}
    for name, value in _raw_values(form, "pii").items():
        if value.strip().lower() not in PII_VALUES:
            yield _issue(
                "error",
                "INS111",
                f"pii of '{name}' is '{value}'; write yes or no",
                row=rows.get(name),
                column="pii",
                name=name,
            )
    for name, value in _raw_values(form, "role").items():
        if value.strip().lower() not in ROLES:
            close = difflib.get_close_matches(value.strip().lower(), sorted(ROLES), n=1)
            yield _issue(
                "error",
                "INS112",
                f"role of '{name}' is '{value}', which the toolkit does not know"
                + (f" (did you mean '{close[0]}'?)" if close else "")
                + f"; roles: {', '.join(sorted(ROLES))}",
                row=rows.get(name),
                column="role",
                name=name,
            )


def _roles(form: Instrument) -> Iterator[dict[str, Any]]:
    ids = [q for q in form.questions if q.role == "id"]
    if len(ids) > 1:
        for q in ids:
            yield _issue(
                "error",
                "INS118",
                f"role 'id' is given to {len(ids)} questions ({', '.join(x.name for x in ids)}); "
                "a form has one record key",
                row=q.row,
                column="role",
                name=q.name,
            )
    for q in form.questions:
        if q.role in ("weight", "fpc") and q.type not in ("integer", "decimal", "calculate"):
            yield _issue(
                "error",
                "INS119",
                f"'{q.name}' has role {q.role} but is a {q.type} question; weights and "
                "population sizes are numbers (integer, decimal or calculate)",
                row=q.row,
                column="role",
                name=q.name,
            )


def _settings(form: Instrument) -> Iterator[dict[str, Any]]:
    settings = dict(form.settings)
    default = settings.get("default_language")
    if default and form.languages and form.default_language not in form.languages:
        yield _issue(
            "warning",
            "INS113",
            f"default_language '{default}' is not one of the form's languages "
            f"({', '.join(form.language_names) or 'none'}); ODK shows the first language instead",
            sheet="settings",
            row=2,
            column="default_language",
        )
    for column in settings:
        key = str(column).strip()
        if key not in _SETTINGS_COLUMNS and key.lower() not in _SETTINGS_COLUMNS:
            close = difflib.get_close_matches(key.lower(), sorted(_SETTINGS_COLUMNS), n=1)
            yield _issue(
                "warning",
                "INS114",
                f"the settings column '{key}' is not an XLSForm setting"
                + (f" (did you mean '{close[0]}'?)" if close else ""),
                sheet="settings",
                row=1,
                column=key,
            )
    form_id = str(settings.get("form_id") or settings.get("id_string") or "")
    if form_id and not re.fullmatch(r"[A-Za-z_][\w.\-]*", form_id):
        yield _issue(
            "warning",
            "INS115",
            f"form_id '{form_id}' has spaces or other characters ODK Central and KoboToolbox refuse; "
            "use letters, digits and _",
            sheet="settings",
            row=2,
            column="form_id",
        )
    if form.path is not None:
        for q in form.questions:
            if q.itemset_file and not (Path(form.path).parent / q.itemset_file).is_file():
                yield _issue(
                    "warning",
                    "INS116",
                    f"'{q.name}' takes its choices from '{q.itemset_file}', which is not beside the form; "
                    "upload it with the form",
                    row=q.row,
                    column="type",
                    name=q.name,
                )
