"""The layout of ``study.toml`` as data: every table, every key, its type and meaning.

:data:`SCHEMA` is the one description of study.toml. :func:`check_config` checks a
parsed study.toml against it (``Study.load`` calls it), and :func:`schema_markdown`
writes ``docs/study-toml.md`` from it.

A :class:`Table` lists its :class:`Key` entries; a table whose keys are names chosen by
the team (``[instruments.<name>]``, ``[design.<instrument>]``, ``[waves.forms.<wave>]``)
gives one ``names`` entry instead, which types every key of that table.

Examples
--------
>>> check_config({"design": {"household": {"weights": "w"}}}, "study.toml")
>>> check_config({"design": {"household": {"weigths": "w"}}}, "study.toml")
Traceback (most recent call last):
...
analysis.errors.StudyError: [STU040] unknown key 'weigths' in [design.household]: did you mean 'weights'?
  where: study.toml, column design.household.weigths
  expected: weights, strata, psu, fpc, nest, lonely_psu
  found: weigths
  what to do: Correct the key (did you mean 'weights'?); docs/study-toml.md lists every key.
>>> check_config({"pii": {"salt": 3}}, "study.toml")
Traceback (most recent call last):
...
analysis.errors.StudyError: [STU041] [pii] salt must be text in quotes
  where: study.toml, column pii.salt
  expected: text in quotes
  found: 3
  what to do: Write salt = "..." under [pii]; docs/study-toml.md lists every key.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import StudyError
from . import DEFAULT_PATHS

__all__ = ["KINDS", "SCHEMA", "Key", "Table", "check_config", "schema_markdown"]

#: Value types of a key: name -> (what the user reads, what a TOML example looks like).
KINDS = {
    "text": ("text in quotes", '"..."'),
    "integer": ("a whole number", "10"),
    "number": ("a number", "2.5"),
    "boolean": ("true or false", "true"),
    "texts": ("a list of texts", '["a", "b"]'),
    "numbers": ("a list of numbers", "[0.25, 0.5]"),
    "text map": ("a table of texts", '{ a = "b" }'),
    "code map": ("a table of names or codes", '{ "1" = "2" }'),
    "table": ("a table", "[...]"),
    "tables": ("an array of tables", "[[...]]"),
}


@dataclass(frozen=True)
class Key:
    """One key of a table: its type (one of :data:`KINDS`), meaning and allowed values."""

    name: str
    kind: str
    doc: str
    default: str = ""
    choices: tuple[Any, ...] = ()
    table: Table | None = None
    required: bool = False
    #: The error code of the module that checks this value itself when it reads it
    #: (its own, more precise messages): :func:`check_config` leaves it alone.
    checked_by: str = ""


@dataclass(frozen=True)
class Table:
    """One table of study.toml: its fixed keys, or (``names``) the type of its named keys."""

    doc: str
    keys: tuple[Key, ...] = ()
    names: Key | None = None

    def key(self, name: str) -> Key | None:
        """The schema of key ``name`` (the ``names`` entry for a table of named keys)."""
        for key in self.keys:
            if key.name == name:
                return key
        return self.names


def _t(doc: str, *keys: Key, names: Key | None = None) -> Table:
    return Table(doc=doc, keys=keys, names=names)


_LANGS = ("zh", "en")
_LONELY = ("fail", "remove", "certainty", "adjust", "adjust_mean", "average")
_STATS = ("mean", "proportion", "total", "ratio", "quantile", "choices")
_METHODS = ("logit", "wald", "beta", "xlogit", "asin", "likelihood")
_DF_RULES = ("domain", "design")
_FORMATS = ("parquet", "sav", "dta")

_VARIABLE = _t(
    "Outlier and range rules of one variable (``name`` or ``instrument.name``).",
    Key("outliers", "text", "outlier method for this variable", choices=("iqr", "sd", "none")),
    Key("k", "number", "multiplier of the outlier limits"),
    Key("min_n", "integer", "fewer answers: no outlier check"),
    Key("by", "text", "compute the limits within groups of this column"),
    Key("scale", "text", "scale of the limits", choices=("auto", "linear", "log")),
    Key("soft_min", "number", "soft range: a value below is a warning"),
    Key("soft_max", "number", "soft range: a value above is a warning"),
)

_VALIDATE = _t(
    "Thresholds of the validation checks (every key optional).",
    Key("language", "text", "language of the messages", "zh", _LANGS),
    Key("timezone", "text", "where the phones were (today(), date-times)", "Asia/Shanghai"),
    Key("skip", "texts", "check families not to run, e.g. `[\"near_duplicate\"]`", "[]"),
    Key("enumerator", "text", "column of the enumerator", "the question with role enumerator"),
    Key("day", "text", "column of the interview day", "start, today"),
    Key("chunk_size", "integer", "records per block of the form-rule checks", "50000"),
    Key("jobs", "integer", "worker processes; 0: 2 from 100,000 records, else none", "0"),
    Key("duration", "table", "interview length from start/end", table=_t(
        "Interview length from start/end.",
        Key("min_minutes", "number", "shorter interviews are flagged", "10"),
        Key("max_minutes", "number", "longer interviews are flagged", "240"),
        Key("when", "text", "XLSForm condition: which interviews, e.g. `${consent} = '1'`"),
    )),
    Key("outliers", "table", "numeric answers, declared missing codes left out", table=_t(
        "Outlier limits of numeric answers.",
        Key("method", "text", "outlier method", "iqr", ("iqr", "sd", "none")),
        Key("k", "number", "multiplier of the IQR or SD", "3.0"),
        Key("min_n", "integer", "fewer answers: no outlier check", "20"),
        Key("by", "text", "compute the limits within groups of this column"),
        Key("scale", "text", "auto: log(1+x) for skewed answers >= 0", "auto", ("auto", "linear", "log")),
    )),
    Key("near_duplicates", "table", "records that are almost the same", table=_t(
        "Near-duplicate records.",
        Key("share", "number", "same value on this share of the answered fields", "0.95"),
        Key("min_answered", "integer", "records answering fewer fields are not compared", "10"),
        Key("exclude", "texts", "fields never compared (ids, dates, ...)", "[]"),
    )),
    Key("missing_codes", "table", "don't-know and refusal codes", table=_t(
        "Shares of missing codes.",
        Key("max_share", "number", "variable: share of answers that are missing codes", "0.10"),
        Key("min_answers", "integer", "fewer answers: not checked", "20"),
        Key("enumerator_factor", "number", "enumerator's rate above factor x overall", "2.0"),
        Key("enumerator_min_gap", "number", "... and at least this much above it", "0.05"),
    )),
    Key("enumerators", "table", "enumerators' workload and speed", table=_t(
        "Enumerator checks.",
        Key("max_per_day", "integer", "0: twice the median day, at least median + 4", "0"),
        Key("short_factor", "number", "median duration below this share of the overall median", "0.5"),
        Key("min_interviews", "integer", "fewer interviews: not checked", "10"),
    )),
    Key("pii", "table", "personal data in free text", table=_t(
        "Personal data found in free-text answers.",
        Key("phone", "boolean", "look for mainland mobile numbers", "true"),
        Key("id_number", "boolean", "look for resident ID numbers", "true"),
        Key("skip", "texts", "free-text variables not scanned", "[]"),
    )),
    Key("variables", "table", "rules of single variables", table=_t(
        "Rules of single variables, one table per variable.",
        names=Key("<variable>", "table", "rules of one variable", table=_VARIABLE),
    )),
    Key("links", "table", "child instruments against their parent", table=_t(
        "Child instruments against their parent (study.toml `parent`).",
        names=Key("<instrument>", "table", "checks of one child instrument", table=_t(
            "Checks of one child instrument against its parent.",
            Key("same", "text map", "child column = parent column, should agree"),
            Key("count", "text", "records per parent should equal this child column"),
        )),
    )),
    Key("panel", "table", "panels checked against the previous wave", table=_t(
        "Instruments followed from wave to wave.",
        names=Key("<instrument>", "table", "one panel instrument", table=_t(
            "One panel instrument.",
            Key("stable", "texts", "fields that should not change between waves", "[]"),
        )),
    )),
)  # fmt: skip

_ESTIMATE = _t(
    "One estimate table, written to `data/processed/<wave>/estimates/<name>.csv`.",
    Key("name", "text", "file name of the table (unique)", required=True),
    Key("instrument", "text", "the instrument whose data is estimated", required=True),
    Key("stat", "text", "the statistic", choices=_STATS, required=True),
    Key("variables", "texts", "question names of the instrument"),
    Key("variable", "text", "one question (instead of `variables`)"),
    Key("by", "texts", "domains: one row per group", "[]"),
    Key("where", "text", "domain restriction (pandas query), e.g. `consent == '1'`"),
    Key("denominator", "text", "the question to divide by (ratio)"),
    Key("quantiles", "numbers", "quantiles (quantile)", "[0.5]"),
    Key(
        "method", "text", "interval of shares (proportion, choices)", "from `[estimate]`", _METHODS
    ),
    Key("ci_level", "number", "confidence level, between 0 and 1", "from `[estimate]`"),
    Key("df", "text", "degrees of freedom of the intervals", "from `[estimate]`", _DF_RULES),
    Key("label", "text map", 'title of the table by language: `{ zh = "...", en = "..." }`'),
    Key(
        "table",
        "text",
        "the repeat whose rows are estimated, e.g. `members` (optional: "
        "found from the variables; each row takes its parent record's design and `by` columns)",
    ),
)

_ESTIMATE_DEFAULTS = _t(
    "Defaults of every `[[estimates]]` entry; an entry's own `method`, `ci_level` or `df` wins. "
    '`stat = "choices"` gives one row per choice of a select_multiple question (`level` the '
    "code, `label` its label): the share of the records that answered the question and chose "
    "it, from the choice's 0/1 column; `proportion` or `total` of a select_multiple question "
    "is refused (`STU025`). Every table ends with `n_domain` (records of the domain, answered "
    "or not; `n` counts those that answered), `n_level` (tables with levels: records at the "
    "level) and `weighted_n` (weighted count of the level, else of the answering records).",
    Key("method", "text", "interval of shares: logit (R's svyciprop default), wald, beta "
        "(Korn-Graubard), xlogit, asin", "logit", _METHODS),
    Key("ci_level", "number", "confidence level of ci_low/ci_high, between 0 and 1", "0.95"),
    Key("df", "text", "degrees of freedom of the intervals: domain (each by group's own "
        "degf) or design (degf of the records used, the same for every group: srvyr and "
        "REACH analysistools)", "domain", _DF_RULES),
)  # fmt: skip

_DESIGN = _t(
    "The sample design of one instrument; without one, a simple random sample.",
    Key("weights", "text", "column of the sampling weights", "equal weights"),
    Key("strata", "text", "column of the strata", "no strata"),
    Key("psu", "text", "column of the primary sampling units (clusters)", "each record"),
    Key("fpc", "text", "column of the population size or sampling fraction", "none"),
    Key("nest", "boolean", "PSU codes are only unique within their stratum", "true"),
    Key("lonely_psu", "text", "strata with one PSU", "fail", _LONELY),
)

#: The whole of study.toml.
SCHEMA = _t(
    "study.toml, at the root of a study folder.",
    Key("study", "table", "the study's name and languages", table=_t(
        "The study's name and languages.",
        Key("name", "text", "name of the study (zh)", "the folder's name"),
        Key("name_en", "text", "name of the study in English", "name"),
        Key("default_language", "text", "language of labels and reports", "zh", _LANGS),
        Key("languages", "texts", "languages of the forms' labels", '["zh"]'),
    )),
    Key("paths", "table", "folders of the study, relative to study.toml", table=_t(
        "Folders of the study, relative to study.toml.",
        Key("surveys", "text", "the XLSForms", f'"{DEFAULT_PATHS["surveys"]}"'),
        Key("raw", "text", "field exports, one folder per wave", f'"{DEFAULT_PATHS["raw"]}"'),
        Key("processed", "text", "cleaned outputs, one folder per wave", f'"{DEFAULT_PATHS["processed"]}"'),
        Key("reports", "text", "reports, one folder per wave", f'"{DEFAULT_PATHS["reports"]}"'),
        Key("notebooks", "text", "report notebooks", f'"{DEFAULT_PATHS["notebooks"]}"'),
        Key("benchmarks", "text", "benchmark harness", f'"{DEFAULT_PATHS["benchmarks"]}"'),
        Key("entry", "text", "the data-entry app's database", f'"{DEFAULT_PATHS["entry"]}"'),
    )),
    Key("instruments", "table", "the study's questionnaires", table=_t(
        "The study's questionnaires, one table per instrument.",
        names=Key("<instrument>", "table", "one questionnaire", table=_t(
            "One questionnaire.",
            Key("form", "text", "path of its XLSForm", required=True),
            Key("key", "text", "question identifying a record (unique per wave)"),
            Key("parent", "text", "instrument this one belongs to (e.g. household -> village)"),
            Key("parent_key", "text", "question holding the parent's key"),
            Key("label", "text map", "title by language: `{ zh = \"...\", en = \"...\" }`"),
            Key("auto_advance", "boolean", "entry screen: go on once a code is complete (docs/entry.md)", "false"),
        )),
    )),
    Key("waves", "table", "the study's waves and their files", table=_t(
        "The study's waves and their raw files.",
        Key("list", "texts", "waves in order (folders under data/raw/ are added)", "[]"),
        Key("forms", "table", "forms of older waves", table=_t(
            "The form version a wave was collected with, when not the current one.",
            names=Key("<wave>", "text map", "instrument = path of its form in that wave",
                      checked_by="STU006"),
        )),
        Key("files", "table", "export file names that do not follow the name rule", table=_t(
            "Export files named otherwise than after their instrument.",
            names=Key("<wave>", "text map", "instrument = file name in data/raw/<wave>/"),
        )),
        Key("optional", "table", "instruments a wave may lack", table=_t(
            "Instruments whose export a wave may lack.",
            names=Key("<wave>", "texts", "instrument names"),
        )),
        Key("ignore", "texts", "files of the raw folders that are not data (glob patterns)", "[]"),
    )),
    Key("harmonise", "table", "changes of a form since older waves", checked_by="INS060", table=_t(
        "What changed in an instrument since an older wave.",
        names=Key("<instrument>", "table", "the map of one instrument", table=_t(
            "Old names and codes of one instrument.",
            Key("rename", "text map", "old name = new name", "{}"),
            Key("recode", "table", "per question: old code = new code", table=_t(
                "Old codes of select questions.",
                names=Key("<question>", "code map", "old code = new code"),
            )),
        )),
    )),
    Key("pii", "table", "personal data in the outputs", table=_t(
        "Personal data in the written outputs.",
        Key("salt", "text", "secret salt of the pseudonyms; keep it out of reports"),
        Key("action", "text", "what happens to PII questions", "drop", ("drop", "pseudonymise", "keep")),
    )),
    Key("design", "table", "sample designs", table=_t(
        "Sample designs, one table per instrument.",
        names=Key("<instrument>", "table", "one instrument's design", table=_DESIGN),
    )),
    Key("estimate", "table", "defaults of the estimate tables", table=_ESTIMATE_DEFAULTS),
    Key("estimates", "tables", "estimate tables of each wave", table=_ESTIMATE),
    Key("validate", "table", "thresholds of the validation checks", table=_VALIDATE,
        checked_by="VAL003"),
    Key("pipeline", "table", "which validation errors stop a run; waves in blocks", table=_t(
        "Which validation errors stop a run (exit status 1), and when a wave is processed in "
        "blocks of records (read, corrected, validated and written without holding it in "
        "memory; docs/scale.md).",
        Key("blocking_checks", "texts", "only these checks block", "every check"),
        Key("non_blocking_checks", "texts", "these checks never block", "[]"),
        Key("block_mode", "text", "process an instrument in blocks: by its export's size, "
            "always or never", "auto", ("auto", "always", "never")),
        Key("block_records", "integer", "main records per block", "50000"),
        Key("block_above_mb", "number", "block_mode auto: exports larger than this many MiB "
            "are processed in blocks", "1024"),
    )),
    Key("scale", "table", "engines for data larger than memory", table=_t(
        "Where designs over large parquet data run (analysis.design.engines.study_design).",
        Key("engine", "text", "the engine", "duckdb", ("duckdb", "dask")),
        Key("scheduler", "text", "a Dask scheduler's address, e.g. tcp://10.0.0.5:8786",
            "this machine"),
        Key("threads", "integer", "DuckDB's worker threads", "one per core"),
        Key("memory_limit", "text", "DuckDB's memory limit, e.g. 3GB", "DuckDB's default"),
    )),
    Key("outputs", "table", "files written for each wave", table=_t(
        "Files written for each wave in data/processed/<wave>/.",
        Key("formats", "texts", "data file formats", '["parquet", "sav", "dta"]', _FORMATS),
    )),
    Key("report", "table", "the wave report", table=_t(
        "The wave report.",
        Key("engine", "text", "how notebooks run", "kernel", ("kernel", "papermill")),
        Key("kernels", "integer", "kernels running notebooks side by side (engine kernel)",
            "2 with two cores or more, else 1"),
        Key("title", "text", "report title (zh)", "<study name>分析报告"),
        Key("title_en", "text", "report title (en)", "<name_en>: findings"),
        Key("codebooks", "text map", "instrument = path of its text codebook (.yaml)", "{}"),
    )),
)  # fmt: skip


# ---------------------------------------------------------------------- checking
def _is(kind: str, value: Any) -> bool:
    def text(v: Any) -> bool:
        return isinstance(v, str)

    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    if kind == "text":
        return text(value)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return number(value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "texts":
        return isinstance(value, list) and all(text(v) for v in value)
    if kind == "numbers":
        return isinstance(value, list) and all(number(v) for v in value)
    if kind == "text map":
        return isinstance(value, Mapping) and all(text(v) for v in value.values())
    if kind == "code map":
        return isinstance(value, Mapping) and all(
            text(v) or (isinstance(v, int) and not isinstance(v, bool)) for v in value.values()
        )
    if kind == "table":
        return isinstance(value, Mapping)
    if kind == "tables":
        return isinstance(value, list) and all(isinstance(v, Mapping) for v in value)
    raise ValueError(f"unknown kind {kind!r}")


def _title(path: tuple[str, ...]) -> str:
    return f"[{'.'.join(path)}]" if path else "study.toml (top level)"


def check_config(config: Mapping[str, Any], file: Any, table: Table = SCHEMA) -> None:
    """Check a parsed study.toml against :data:`SCHEMA`.

    Raises
    ------
    StudyError
        ``STU040`` a key the schema does not know (with the closest known key);
        ``STU041`` a value of the wrong type or not one of the allowed values;
        ``STU042`` a required key is missing.
    """
    _check_table(config, table, (), file)


def _check_table(node: Mapping[str, Any], table: Table, path: tuple[str, ...], file: Any) -> None:
    for name, value in node.items():
        key = table.key(name)
        if key is None:
            known = [k.name for k in table.keys]
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            guess = f": did you mean '{close[0]}'?" if close else ""
            raise StudyError(
                "STU040",
                f"unknown key '{name}' in {_title(path)}{guess}",
                file=file,
                column=".".join((*path, name)),
                expected=", ".join(known),
                found=name,
                hint=(f"Correct the key (did you mean '{close[0]}'?)" if close else
                      "Remove the key or move it to the table it belongs to")
                + "; docs/study-toml.md lists every key.",
            )  # fmt: skip
        _check_value(value, key, (*path, name), file)
    for key in table.keys:
        if key.required and key.name not in node:
            raise StudyError(
                "STU042",
                f"{_title(path)} has no '{key.name}' ({key.doc})",
                file=file,
                column=".".join((*path, key.name)),
                hint=f"Add {key.name} = ... under {_title(path)}; docs/study-toml.md lists every key.",
            )


def _check_value(value: Any, key: Key, path: tuple[str, ...], file: Any) -> None:
    if key.checked_by:
        return
    what, example = KINDS[key.kind]
    if not _is(key.kind, value):
        raise StudyError(
            "STU041",
            f"{_title(path[:-1])} {path[-1]} must be {what}",
            file=file,
            column=".".join(path),
            expected=what,
            found=repr(value),
            hint=f"Write {path[-1]} = {example} under {_title(path[:-1])}; "
            "docs/study-toml.md lists every key.",
        )
    if key.choices:
        values = value if isinstance(value, list) else [value]
        wrong = [v for v in values if v not in key.choices]
        if wrong:
            close = difflib.get_close_matches(str(wrong[0]), map(str, key.choices), n=1)
            raise StudyError(
                "STU041",
                f"{_title(path[:-1])} {path[-1]}: {wrong[0]!r} is not allowed"
                + (f" (did you mean '{close[0]}'?)" if close else ""),
                file=file,
                column=".".join(path),
                expected=", ".join(map(str, key.choices)),
                found=repr(wrong[0]),
                hint="Use one of the values listed; docs/study-toml.md lists every key.",
            )
    if key.table is not None and key.kind == "table":
        _check_table(value, key.table, path, file)
    elif key.table is not None and key.kind == "tables":
        for number, entry in enumerate(value, start=1):
            _check_table(entry, key.table, (*path[:-1], f"{path[-1]}[{number}]"), file)


# ---------------------------------------------------------------------- documentation
def schema_markdown(table: Table = SCHEMA) -> str:
    """``docs/study-toml.md``: every table and key of :data:`SCHEMA` (generated, not edited).

    Examples
    --------
    >>> text = schema_markdown()
    >>> "| `weights` | text in quotes |" in text
    True
    """
    lines = [
        "# study.toml",
        "",
        "<!-- generated by analysis.study.schema.schema_markdown(): do not edit by hand;",
        "     regenerate with `python -m analysis.study.schema > docs/study-toml.md` -->",
        "",
        "Every key of a study's `study.toml`: its type, default and meaning. A key not listed",
        "here, or a value of another type, stops every command with `STU040`/`STU041`, naming",
        "the table, the key and the closest valid key. `<name>` stands for a name the team",
        "chooses (an instrument, a wave, a variable).",
        "",
    ]
    _markdown(table, (), lines)
    return "\n".join(lines).rstrip() + "\n"


def _markdown(table: Table, path: tuple[str, ...], lines: list[str], checked_by: str = "") -> None:
    tables: list[tuple[Key, tuple[str, ...]]] = []
    rows = []
    for key in (*table.keys, *([table.names] if table.names else [])):
        what = KINDS[key.kind][0]
        if key.kind in ("table", "tables") and key.table is not None:
            tables.append((key, (*path, key.name)))
            if path:
                rows.append((key, what))
            continue
        rows.append((key, what))
    if path:
        lines += [f"## `{_heading(path)}`", "", table.doc, ""]
        if checked_by:
            lines += [f"Checked when the pipeline reads it (errors `{checked_by}`).", ""]
        if rows:
            lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
            for key, what in rows:
                meaning = key.doc
                if key.choices:
                    meaning += "; one of " + ", ".join(f"`{c}`" for c in key.choices)
                if key.required:
                    meaning += " (required)"
                if key.checked_by:
                    meaning += f" (checked when read: `{key.checked_by}`)"
                default = (
                    f"`{key.default}`" if key.default.startswith(("[", '"', "{")) else key.default
                )
                lines.append(f"| `{key.name}` | {what} | {default} | {meaning} |")
            lines.append("")
    for key, sub in tables:
        assert key.table is not None
        sub = sub if key.kind == "table" else (*sub[:-1], f"[{sub[-1]}]")
        _markdown(key.table, sub, lines, key.checked_by or checked_by)


def _heading(path: tuple[str, ...]) -> str:
    return f"[{'.'.join(path)}]"


if __name__ == "__main__":
    print(schema_markdown(), end="")
