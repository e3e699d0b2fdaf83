"""The printable paper questionnaire (DOCX) of an instrument.

For field teams that collect on paper and enter the data later. The document has a title,
filling instructions, and every question a respondent or enumerator answers, numbered
1., 2., ... across the whole form (calculations and automatic metadata are left out):

* groups become section headings; a group shown only under a condition says so;
* a repeat becomes a roster table, one blank row per member and one column per question
  (wide rosters continue in a second table), with the codes of its select questions;
* consecutive Likert items sharing a choice list become one grid;
* select questions print tick boxes with their codes (``□ 1 是  □ 2 否``), ``or_other``
  a line to specify, and missing codes not already among the choices;
* a skip that follows from an earlier select answer is printed under that earlier
  question (``若选“否”，跳至第12题``), computed from the ``relevant`` expressions; other
  conditions are printed under the question they govern;
* text and number questions get answer lines or digit boxes, with hints, constraint
  ranges in words and missing codes (``98 不知道 / 99 拒答``).

Every run carries the East Asian font (``w:eastAsia``), so Chinese never falls back.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "mini.md"
>>> _ = path.write_text('''
... | survey |
... |  | type          | name    | label::中文 (zh) | label::English (en) | relevant        |
... |  | select_one yn | has_tv  | 家里有电视吗？     | Has a TV?           |                 |
... |  | integer       | n_tv    | 有几台？          | How many?           | ${has_tv} = '1' |
... |  | text          | channel | 最常看哪个频道？   | Favourite channel?  | ${has_tv} = '1' |
... |  | integer       | age     | 户主年龄          | Age of the head     |                 |
... | choices |
... |  | list_name | name | label::中文 (zh) | label::English (en) |
... |  | yn        | 1    | 是               | Yes                 |
... |  | yn        | 2    | 否               | No                  |
... ''', encoding="utf-8")
>>> question_numbers(load_instrument(path))
{'has_tv': 1, 'n_tv': 2, 'channel': 3, 'age': 4}
>>> skip_instructions(path)[["question", "choices", "target", "text"]].values.tolist()
[['has_tv', '2', 4, '若选“否”，跳至第4题']]
>>> write_paper(path, path.with_suffix(".docx"), lang="en").suffix
'.docx'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Cm, Pt

from ..errors import InstrumentError
from ..expressions import Reference, field_references, replace_references
from ..expressions.tree import Binary, Current, Node, Number, walk
from ..office.package import document_bytes
from ..office.word import (
    DEFAULT_FONTS,
    Fonts,
    add_page_numbers,
    add_paragraph,
    add_symbol,
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
from .logic import evaluate, fields, is_call, is_comparison, rule
from .model import METADATA_TYPES, Group, Instrument, Question
from .wording import conditions_in_words, constraint_in_words, plain_label

__all__ = ["paper_document", "question_numbers", "skip_instructions", "write_paper"]

#: Types never printed on paper (filled by the device or computed).
_NOT_PRINTED = (
    frozenset({"calculate", "hidden", "entity", "xml-external", "csv-external"}) | METADATA_TYPES
)
#: Types captured only on a device.
_DEVICE_ONLY = frozenset({"image", "audio", "video", "file", "geotrace", "geoshape"})

_TEXT = {
    "zh": {
        "instructions_title": "填写说明",
        "instructions": [
            "请在所选答案前的方框内打“√”，或在横线、方格内填写文字和数字。",
            "单选题只选一项；注明“可多选”的题可以选择多项。",
            "按题下的跳答说明跳过不适用的题目；没有跳答说明的，按顺序回答下一题。",
            "“不知道”“拒答”等情况，填写题下注明的代码。",
        ],
        "multiple": "（可多选）",
        "other": "其他（请注明）",
        "skip": "若选{choices}，跳至第{target}题",
        "skip_end": "若选{choices}，结束访问",
        "later": "若{choices}，跳至第{target}题",
        "later_end": "若{choices}，结束访问",
        "or": "或",
        "answer_if": "【{condition}，回答本题】",
        "section_if": "【{condition}，回答本部分；否则跳过本部分】",
        "roster_rows": "每行填写一个“{label}”，共填写第{n}题所填的行数。",
        "roster_rows_plain": "每行填写一个“{label}”。",
        "roster_codes": "代码：",
        "roster_condition": "第{n}题：{condition} 时填写",
        "end": "— 问卷到此结束，谢谢您的配合！ —",
        "number": "序号",
        "range": "（{words}）",
        "missing": "（{codes}）",
        "device_only": "（仅在电子问卷中采集，纸质问卷不填）",
        "from_file": "代码：____________（选项见 {file}）",
        "rank": "（在方框内按顺序填写 1、2、3……）",
        "ack": "确认",
        "date": "______年____月____日",
        "time": "____时____分",
        "datetime": "______年____月____日 ____时____分",
        "geopoint": "纬度：______________    经度：______________",
        "form": "问卷编号：",
        "page": "第 {page} 页",
        "likert_item": "题目",
        "questionnaire": "问卷",
    },
    "en": {
        "instructions_title": "How to fill in this questionnaire",
        "instructions": [
            "Tick (✓) the box of the answer chosen, or write words and numbers on the lines and in the boxes.",
            "Single-choice questions take one answer; questions marked 'select all that apply' take several.",
            "Follow the skip instructions under a question; without one, go on to the next question.",
            "For 'don't know', 'refused' and similar, write the code printed under the question.",
        ],
        "multiple": " (select all that apply)",
        "other": "Other (specify)",
        "skip": "If {choices}, go to Q{target}",
        "skip_end": "If {choices}, end the interview",
        "later": "If {choices}, go to Q{target}",
        "later_end": "If {choices}, end the interview",
        "or": " or ",
        "answer_if": "[Answer {condition}]",
        "section_if": "[Answer this section {condition}; otherwise skip it]",
        "roster_rows": "One row per {label}; fill in as many rows as the answer to Q{n}.",
        "roster_rows_plain": "One row per {label}.",
        "roster_codes": "Codes: ",
        "roster_condition": "Q{n}: only {condition}",
        "end": "— End of the questionnaire. Thank you! —",
        "number": "No.",
        "range": "({words})",
        "missing": "({codes})",
        "device_only": "(captured on the device only; leave blank on paper)",
        "from_file": "Code: ____________ (choices in {file})",
        "rank": "(number the boxes in order: 1, 2, 3, ...)",
        "ack": "OK",
        "date": "____ / ____ / ________ (day / month / year)",
        "time": "____ : ____ (hour : minute)",
        "datetime": "____ / ____ / ________  ____ : ____",
        "geopoint": "Latitude: ______________    Longitude: ______________",
        "form": "Questionnaire no.: ",
        "page": "Page {page}",
        "likert_item": "Item",
        "questionnaire": "questionnaire",
    },
}

BOX = "□"


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise InstrumentError(
            "INS050",
            f"unknown questionnaire language '{lang}'",
            expected="zh or en",
            found=lang,
            hint="Use --lang zh or --lang en.",
        )
    return lang


def _instrument(form: str | Path | Instrument) -> Instrument:
    return form if isinstance(form, Instrument) else load_instrument(form)


def _generated_other(form: Instrument) -> set[str]:
    """pyxform's 'specify other' questions (printed as the other choice's line instead)."""
    or_other = {q.name for q in form.questions if q.or_other}
    return {
        q.name
        for q in form.questions
        if q.row is None and q.name.endswith("_other") and q.name[: -len("_other")] in or_other
    }


def _printed_questions(form: Instrument) -> list[Question]:
    generated = _generated_other(form)
    return [
        q
        for q in form.questions
        if q.type not in _NOT_PRINTED and q.name != "instanceID" and q.name not in generated
    ]


def question_numbers(form: str | Path | Instrument) -> dict[str, int]:
    """The number of every printed question (notes and computed fields have none), in form order."""
    form = _instrument(form)
    numbers: dict[str, int] = {}
    for q in _printed_questions(form):
        if q.type != "note":
            numbers[q.name] = len(numbers) + 1
    return numbers


# --------------------------------------------------------------------------- skip logic
def _tree(expression: str) -> Node | None:
    parsed = rule(expression)
    return parsed.tree if parsed else None


def _conditions(form: Instrument, q: Question) -> list[str]:
    groups = {g.name: g for g in form.groups}
    out = [groups[g].relevant for g in q.group_path if g in groups and groups[g].relevant]
    if q.relevant:
        out.append(q.relevant)
    return [c for c in out if c]


def _skipped(form: Instrument, q: Question, answers: Mapping[str, str]) -> bool:
    return any(evaluate(_tree(c), answers) is False for c in _conditions(form, q))


def _choice_codes(form: Instrument, q: Question) -> list[tuple[str, str]]:
    """(code, label) of a select question's choices plus missing codes not in the list."""
    choices = form.choices(q)
    out = [(c.name, c.label) for c in choices] if choices is not None else []
    known = {code for code, _ in out}
    return out + [(code, meaning) for code, meaning in q.missing_codes.items() if code not in known]


@dataclass(frozen=True)
class _Skip:
    question: str  # the select question whose answer decides the skip
    codes: tuple[str, ...]
    target: int | None  # number of the next question to answer (None: end)
    target_name: str | None
    at: str  # the question under which the instruction is printed


def _depends_on(form: Instrument, q: Question, name: str) -> bool:
    return any(name in set(fields(_tree(c))) for c in _conditions(form, q))


def _skips(form: Instrument, lang: str) -> list[_Skip]:
    """Skips decided by one select answer, printed under it or under its last follow-up.

    Choosing ``code`` at question S skips the questions right after S that are not
    applicable; the instruction goes under S. When the questions right after S apply
    only because of that answer (follow-ups such as 'why not?'), and a block that the
    answer rules out comes after them, the instruction goes under the last follow-up:
    若第15题选“否”，跳至第107题.
    """
    numbers = question_numbers(form)
    printed = [q for q in form.questions if q.name in numbers]
    skips: list[_Skip] = []
    for index, source in enumerate(printed):
        if source.type != "select_one" or source.repeat is not None:
            continue
        by_target: dict[tuple[str, int | None], list[str]] = {}
        for code, _label in _choice_codes(form, source):
            answers = {source.name: code}
            at, j = source.name, index + 1
            if j < len(printed) and not _skipped(form, printed[j], answers):
                # follow-ups that depend on this answer, then maybe a block to skip
                while (
                    j < len(printed)
                    and printed[j].repeat is None
                    and _depends_on(form, printed[j], source.name)
                    and not _skipped(form, printed[j], answers)
                ):
                    j += 1
                if j == index + 1 or j >= len(printed) or not _skipped(form, printed[j], answers):
                    continue
                at = printed[j - 1].name
            start = j
            while j < len(printed) and _skipped(form, printed[j], answers):
                j += 1
            if j == start:
                continue
            target = numbers[printed[j].name] if j < len(printed) else None
            by_target.setdefault((at, target), []).append(code)
        for (at, target), codes in by_target.items():
            name = printed[target - 1].name if target else None
            skips.append(_Skip(source.name, tuple(codes), target, name, at))
    return skips


def _choice_label(form: Instrument, q: Question, code: str, lang: str) -> str:
    choices = form.choices(q)
    label = choices.label_of(code, lang) if choices is not None else None
    if label is None:
        label = q.missing_codes.get(code, code)
    if code == "other" and label == "Other" and lang == "zh":
        label = "其他"
    return plain_label(label, 30)


def _skip_text(form: Instrument, skip: _Skip, lang: str) -> str:
    text = _TEXT[lang]
    q = form.question(skip.question)
    quoted = [
        f"“{_choice_label(form, q, c, lang)}”"
        if lang == "zh"
        else f'"{_choice_label(form, q, c, lang)}"'
        for c in skip.codes
    ]
    choices = text["or"].join(quoted)
    if skip.at != skip.question:
        source = question_numbers(form)[skip.question]
        choices = (f"第{source}题选" if lang == "zh" else f"Q{source} is ") + choices
    if skip.target is None:
        return text["skip_end" if skip.at == skip.question else "later_end"].format(choices=choices)
    return text["skip" if skip.at == skip.question else "later"].format(
        choices=choices, target=skip.target
    )


def skip_instructions(form: str | Path | Instrument, lang: str = "zh") -> pd.DataFrame:
    """The skip instructions of the paper questionnaire, one row per (question, target).

    A skip is printed under a select question when choosing some of its answers makes
    the questions right after it not applicable (their ``relevant``, or their group's,
    is false whatever the other answers). ``target`` is the number of the next question
    to answer (``<NA>``: the interview ends).

    Returns
    -------
    pandas.DataFrame
        Columns ``question`` (the select question deciding the skip), ``number``,
        ``printed_under`` (the question the instruction is printed under: the select
        question itself, or its last follow-up), ``choices`` (codes, space-separated),
        ``target``, ``target_name``, ``text``.
    """
    form = _instrument(form)
    lang = _lang(lang)
    numbers = question_numbers(form)
    rows = [
        {
            "question": s.question,
            "number": numbers[s.question],
            "printed_under": s.at,
            "choices": " ".join(s.codes),
            "target": s.target,
            "target_name": s.target_name,
            "text": _skip_text(form, s, lang),
        }
        for s in _skips(form, lang)
    ]
    frame = pd.DataFrame(
        rows,
        columns=["question", "number", "printed_under", "choices", "target", "target_name", "text"],
    )
    frame["target"] = frame["target"].astype("Int64")
    return frame


# --------------------------------------------------------------------------- layout plan
@dataclass
class _Block:
    kind: str  # heading, question, note, roster, grid
    group: Group | None = None
    level: int = 1
    questions: list[Question] = field(default_factory=list)


def _plan(form: Instrument, skip_sources: set[str]) -> list[_Block]:
    """Headings, questions, Likert grids and rosters in form order."""
    groups = {g.name: g for g in form.groups}
    blocks: list[_Block] = []
    current: tuple[str, ...] = ()
    questions = _printed_questions(form)
    index = 0
    while index < len(questions):
        q = questions[index]
        path = tuple(g for g in q.group_path if g != "meta")
        repeat_at = next(
            (i for i, g in enumerate(path) if groups.get(g) and groups[g].kind == "repeat"), None
        )
        visible = path if repeat_at is None else path[:repeat_at]
        common = 0
        while common < min(len(current), len(visible)) and current[common] == visible[common]:
            common += 1
        for depth in range(common, len(visible)):
            group = groups.get(visible[depth])
            if group is not None:
                blocks.append(_Block("heading", group=group, level=min(depth + 1, 3)))
        current = visible
        if repeat_at is not None:
            repeat = path[repeat_at]
            members = []
            while index < len(questions) and repeat in questions[index].group_path:
                members.append(questions[index])
                index += 1
            blocks.append(_Block("roster", group=groups[repeat], questions=members))
            continue
        if q.type == "note":
            blocks.append(_Block("note", questions=[q]))
            index += 1
            continue
        run = [q]
        if _grid_item(q) and q.name not in skip_sources:
            j = index + 1
            while (
                j < len(questions)
                and _grid_item(questions[j])
                and questions[j].list_name == q.list_name
                and questions[j].group_path == q.group_path
                and questions[j].relevant == q.relevant
                and questions[j].name not in skip_sources
            ):
                run.append(questions[j])
                j += 1
        if len(run) >= 2:
            blocks.append(_Block("grid", questions=run))
            index += len(run)
        else:
            blocks.append(_Block("question", questions=[q]))
            index += 1
    return blocks


def _grid_item(q: Question) -> bool:
    return q.type == "select_one" and "likert" in (q.appearance or "") and not q.or_other


# --------------------------------------------------------------------------- rendering
class _Writer:
    def __init__(self, form: Instrument, lang: str, fonts: Fonts, roster_rows: int) -> None:
        self.form = form
        self.lang = lang
        self.label_lang = lang if lang in form.languages else (form.default_language or lang)
        self.text = _TEXT[lang]
        self.fonts = fonts
        self.roster_rows = roster_rows
        self.numbers = question_numbers(form)
        skips = _skips(form, lang)
        self.skips: dict[str, list[_Skip]] = {}
        for skip in skips:
            self.skips.setdefault(skip.at, []).append(skip)
        # questions whose own relevance is fully explained by a skip printed earlier
        self.explained = self._explained(skips)
        self.doc = new_document(fonts, margin_cm=2.0)

    def _explained(self, skips: list[_Skip]) -> set[str]:
        sources = {s.question for s in skips}
        explained = set()
        for q in self.form.questions:
            if q.relevant:
                node = _tree(q.relevant)
                refs = set(fields(node))
                if refs and refs <= sources and (is_comparison(node) or is_call(node)):
                    explained.add(q.name)
        return explained

    # ---------------------------------------------------------------- small helpers
    def label(self, q: Question | Group) -> str:
        text = plain_label(q.labels.get(self.label_lang) or q.label(self.label_lang))
        return replace_references(text, self.piped)

    def piped(self, ref: Reference) -> str:
        """A ``${name}`` inside a label: the question it refers to, or a blank to fill in."""
        name = ref.name
        if name in self.numbers and not ref.last_saved:
            return (
                f"（第{self.numbers[name]}题）" if self.lang == "zh" else f"(Q{self.numbers[name]})"
            )
        return "____"

    def para(self, text: str = "", **kw: Any) -> Any:
        return add_paragraph(self.doc, text, self.fonts, **kw)

    def small(
        self,
        text: str,
        *,
        italic: bool = True,
        color: str = "555555",
        indent: float = 0.6,
        bold: bool = False,
    ) -> Any:
        p = self.para()
        p.paragraph_format.left_indent = Cm(indent)
        p.paragraph_format.space_after = Pt(2)
        add_text(p, text, self.fonts, italic=italic, size=9, color=color, bold=bold)
        return p

    def condition(self, expressions: Sequence[str]) -> str:
        text = conditions_in_words(expressions, self.form, self.lang, numbers=self.numbers)
        if self.lang == "en" and text.startswith("if "):
            return "only " + text
        return text

    # ---------------------------------------------------------------- document
    def render(self, title: str | None) -> Any:
        heading = title or self.form.title
        header = self.doc.sections[0].header.paragraphs[0]
        add_text(
            header,
            f"{heading}    {self.text['form']}____________",
            self.fonts,
            size=8,
            color="777777",
        )
        self.para(heading, style="Title", align="center")
        sub = self.form.form_id + (f"  v{self.form.version}" if self.form.version else "")
        self.para(sub, align="center", size=9, color="777777")
        box = self.para(self.text["instructions_title"], bold=True, heading=True)
        box.paragraph_format.space_before = Pt(6)
        for number, line in enumerate(self.text["instructions"], start=1):
            p = self.para(f"{number}. {line}", size=9.5)
            p.paragraph_format.left_indent = Cm(0.4)
            p.paragraph_format.space_after = Pt(1)
        for block in _plan(self.form, set(self.skips)):
            getattr(self, f"_{block.kind}")(block)
        closing = self.para(self.text["end"], align="center", bold=True)
        closing.paragraph_format.space_before = Pt(18)
        add_page_numbers(self.doc, self.fonts, template=self.text["page"])
        apply_east_asian_fonts(self.doc, self.fonts)
        return self.doc

    def _heading(self, block: _Block) -> None:
        group = block.group
        assert group is not None
        self.para(self.label(group), style=f"Heading {block.level}")
        if group.relevant:
            words = self.condition([group.relevant])
            self.small(
                self.text["section_if"].format(condition=words), italic=False, color="333333"
            )

    def _note(self, block: _Block) -> None:
        q = block.questions[0]
        p = self.para()
        p.paragraph_format.left_indent = Cm(0.3)
        add_text(p, self.label(q), self.fonts, italic=True, size=9.5)

    def _question(self, block: _Block) -> None:
        body = self.doc.element.body
        start = len(body)
        self.question(block.questions[0])
        _keep_together(list(body)[start:])

    def question(self, q: Question) -> None:
        first = self.para()
        first.paragraph_format.space_before = Pt(6)
        first.paragraph_format.keep_with_next = True
        add_text(first, f"{self.numbers[q.name]}. ", self.fonts, bold=True)
        add_text(first, self.label(q), self.fonts, bold=True)
        if (
            q.is_multiple
            and q.type != "rank"
            and not re.search(r"多选|select all|all that apply", self.label(q), re.I)
        ):
            add_text(first, self.text["multiple"], self.fonts, size=9)
        if q.relevant and q.name not in self.explained:
            self.small(
                self.text["answer_if"].format(condition=self.condition([q.relevant])),
                italic=False,
                color="333333",
            ).paragraph_format.keep_with_next = True
        hint = plain_label(q.hint(self.label_lang))
        if hint:
            self.small(hint).paragraph_format.keep_with_next = True
        self.answer(q)
        notes = []
        if q.constraint and not q.is_select:
            words = constraint_in_words(
                q.constraint, self.form, self.lang, question=q.name, numbers=self.numbers
            )
            if words and words != q.constraint:
                notes.append(_without_codes(words, q.missing_codes))
        if q.missing_codes and not q.is_select:
            notes.append(
                " / ".join(
                    f"{code} {plain_label(meaning)}" for code, meaning in q.missing_codes.items()
                )
            )
        if notes:
            self.small(
                self.text["range"].format(
                    words="；".join(notes) if self.lang == "zh" else "; ".join(notes)
                )
            )
        for skip in self.skips.get(q.name, []):
            p = self.para()
            p.paragraph_format.left_indent = Cm(0.6)
            add_text(
                p, "→ " + _skip_text(self.form, skip, self.lang), self.fonts, bold=True, size=9.5
            )

    # ---------------------------------------------------------------- answers
    def answer(self, q: Question) -> None:
        t = self.text
        if q.type in _DEVICE_ONLY:
            self.small(t["device_only"])
            return
        if q.itemset_file or q.type == "select_one_external":
            self.line(t["from_file"].format(file=q.itemset_file or "external_choices"))
            return
        if q.is_select and q.type != "rank":
            self.choices(q)
            return
        if q.type == "rank":
            self.small(t["rank"])
            self.choices(q, box="[    ]")
            return
        if q.type in ("integer", "decimal"):
            self.number(q)
        elif q.type == "date":
            self.line(t["date"])
        elif q.type == "time":
            self.line(t["time"])
        elif q.type == "datetime":
            self.line(t["datetime"])
        elif q.type == "geopoint":
            self.line(t["geopoint"])
        elif q.type == "acknowledge":
            self.choice_line([(BOX, "", t["ack"])])
        elif q.type == "range":
            self.range(q)
        else:
            lines = 3 if "multiline" in (q.appearance or "") else 1
            for _ in range(lines):
                self.line("_" * 60)

    def line(self, text: str) -> None:
        p = self.para()
        p.paragraph_format.left_indent = Cm(0.6)
        p.paragraph_format.space_before = Pt(4)
        add_text(p, text, self.fonts)

    def missing(self, q: Question) -> None:
        if q.missing_codes and not q.is_select:
            sep = " / "
            codes = sep.join(
                f"{code} {plain_label(meaning)}" for code, meaning in q.missing_codes.items()
            )
            self.small(self.text["missing"].format(codes=codes))

    def number(self, q: Question) -> None:
        digits = _digits(q)
        p = self.para()
        p.paragraph_format.left_indent = Cm(0.6)
        p.paragraph_format.space_before = Pt(4)
        if digits and q.type == "integer":
            add_symbol(p, BOX * digits, self.fonts, size=14)
        elif digits and q.type == "decimal":
            add_symbol(p, BOX * digits, self.fonts, size=14)
            add_text(p, " . ", self.fonts, size=14)
            add_symbol(p, BOX * 2, self.fonts, size=14)
        else:
            add_text(p, "_" * 20, self.fonts)

    def range(self, q: Question) -> None:
        params = q.parameters
        try:
            start = float(params.get("start", 0))
            end = float(params.get("end", 10))
            step = float(params.get("step", 1)) or 1.0
        except ValueError:
            start, end, step = 0.0, 10.0, 1.0
        count = int((end - start) / step) + 1 if end >= start else 0
        if 0 < count <= 11:
            values = [start + i * step for i in range(count)]
            self.choice_line([(BOX, _fmt(v), "") for v in values])
        else:
            self.line("_" * 20 + f"  ({_fmt(start)}–{_fmt(end)})")

    def choices(self, q: Question, box: str = BOX) -> None:
        items = [
            (box, code, _choice_label(self.form, q, code, self.label_lang))
            for code, _ in _choice_codes(self.form, q)
        ]
        if q.or_other and not any(code == "other" for _, code, _ in items):
            items.append((box, "other", self.text["other"]))
        items = [
            (
                b,
                c,
                (
                    self.text["other"] + "：________"
                    if self.lang == "zh"
                    else self.text["other"] + ": ________"
                )
                if c == "other"
                else label,
            )
            for b, c, label in items
        ]
        if not items:
            self.line("_" * 20)
            return
        widest = max(len(label) for _, _, label in items)
        cjk = self.lang == "zh"
        short = widest <= (8 if cjk else 14)
        if len(items) <= 5 and short:
            self.choice_line(items)
        elif len(items) <= 3:
            for item in items:
                self.choice_line([item])
        else:
            columns = (
                3 if widest <= (6 if cjk else 12) else 2 if widest <= (14 if cjk else 28) else 1
            )
            self.choice_table(items, columns)

    def choice_line(self, items: Sequence[tuple[str, str, str]]) -> None:
        p = self.para()
        p.paragraph_format.left_indent = Cm(0.6)
        p.paragraph_format.space_before = Pt(2)
        for i, (box, code, label) in enumerate(items):
            if i:
                add_text(p, "      ", self.fonts)
            add_symbol(p, box, self.fonts, size=12)
            add_text(p, " " + " ".join(x for x in (code, label) if x), self.fonts)

    def choice_table(self, items: Sequence[tuple[str, str, str]], columns: int) -> None:
        rows = -(-len(items) // columns)
        table = self.doc.add_table(rows=rows, cols=columns)
        table.autofit = False
        width = 16.4 / columns
        set_column_widths(table, [width] * columns)
        cells = [row.cells for row in table.rows]  # table.cell() is slow on big tables
        for index, (box, code, label) in enumerate(items):
            row, col = index % rows, index // rows  # column-major, as people read lists
            cell = cells[row][col]
            p = cell.paragraphs[0]
            p.paragraph_format.left_indent = Cm(0.6 if col == 0 else 0.2)
            p.paragraph_format.space_after = Pt(0)
            add_symbol(p, box, self.fonts, size=12)
            add_text(p, f" {code} {label}", self.fonts)

    # ---------------------------------------------------------------- grids and rosters
    def _grid(self, block: _Block) -> None:
        items = block.questions
        codes = _choice_codes(self.form, items[0])
        table = self.doc.add_table(rows=1, cols=len(codes) + 1)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        set_table_borders(table, size=4, color="808080")
        set_cell_margins(table)
        first_width = 7.0 if len(codes) <= 6 else 5.0
        other_width = (16.8 - first_width) / max(len(codes), 1)
        set_column_widths(table, [first_width] + [other_width] * len(codes))
        head = table.rows[0].cells
        head[0].width = Cm(first_width)
        add_text(head[0].paragraphs[0], self.text["likert_item"], self.fonts, bold=True, size=9)
        set_cell_background(head[0], "E7E6E6")
        for cell, (code, _) in zip(head[1:], codes):
            cell.width = Cm(other_width)
            cell.paragraphs[0].alignment = 1
            add_text(
                cell.paragraphs[0],
                f"{code}\n{_choice_label(self.form, items[0], code, self.label_lang)}",
                self.fonts,
                bold=True,
                size=8.5,
            )
            set_cell_background(cell, "E7E6E6")
        set_repeat_table_header(table.rows[0])
        for q in items:
            row = table.add_row()
            cells = row.cells
            cells[0].width = Cm(first_width)
            p = cells[0].paragraphs[0]
            add_text(p, f"{self.numbers[q.name]}. ", self.fonts, bold=True, size=9.5)
            add_text(p, self.label(q), self.fonts, size=9.5)
            for cell in cells[1:]:
                cell.width = Cm(other_width)
                cell.paragraphs[0].alignment = 1
                add_symbol(cell.paragraphs[0], BOX, self.fonts, size=12)
        self.para().paragraph_format.space_after = Pt(2)

    def _roster(self, block: _Block) -> None:
        repeat = block.group
        assert repeat is not None
        members = [q for q in block.questions if q.type != "note"]
        notes = [q for q in block.questions if q.type == "note"]
        label = self.label(repeat)
        self.para(label, style="Heading 3")
        count = repeat.repeat_count or ""
        rows = self.roster_rows
        if re.fullmatch(r"\s*\d+\s*", count):
            rows = min(int(count), 30)
        refs = field_references(count)
        if refs and refs[0] in self.numbers:
            self.small(
                self.text["roster_rows"].format(label=label, n=self.numbers[refs[0]]),
                italic=False,
                color="333333",
            )
        else:
            self.small(
                self.text["roster_rows_plain"].format(label=label), italic=False, color="333333"
            )
        for note in notes:
            self._note(_Block("note", questions=[note]))
        tables = -(-len(members) // 6)
        chunk = -(-len(members) // max(tables, 1))
        for start in range(0, len(members), chunk):
            self.roster_table(members[start : start + chunk], rows)
        code_lines = []
        for q in members:
            if q.is_select:
                codes = "  ".join(
                    f"{c} {_choice_label(self.form, q, c, self.label_lang)}"
                    for c, _ in _choice_codes(self.form, q)
                )
                code_lines.append((q, codes))
        for q, codes in code_lines:
            p = self.para()
            p.paragraph_format.space_after = Pt(1)
            add_text(
                p,
                f"{self.numbers[q.name]}. {self.label(q)} — {self.text['roster_codes']}",
                self.fonts,
                bold=True,
                size=8.5,
            )
            add_text(p, codes, self.fonts, size=8.5)
        for q in members:
            conditions = [q.relevant] if q.relevant else []
            if conditions:
                words = self.condition(conditions)
                if self.lang == "zh" and words.startswith("若"):
                    words = words[1:]
                self.small(
                    self.text["roster_condition"].format(n=self.numbers[q.name], condition=words),
                    italic=False,
                    color="333333",
                    indent=0,
                )

    def roster_table(self, members: Sequence[Question], rows: int) -> None:
        table = self.doc.add_table(rows=rows + 1, cols=len(members) + 1)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        set_table_borders(table, size=4, color="404040")
        set_cell_margins(table, left=0.08, right=0.08)
        number_width = 1.1
        width = (16.8 - number_width) / max(len(members), 1)
        set_column_widths(table, [number_width] + [width] * len(members))
        head = table.rows[0].cells
        head[0].width = Cm(number_width)
        add_text(head[0].paragraphs[0], self.text["number"], self.fonts, bold=True, size=8.5)
        set_cell_background(head[0], "E7E6E6")
        for cell, q in zip(head[1:], members):
            cell.width = Cm(width)
            p = cell.paragraphs[0]
            add_text(p, f"{self.numbers[q.name]}. ", self.fonts, bold=True, size=8.5)
            add_text(p, self.label(q), self.fonts, bold=True, size=8.5)
            unit = _roster_unit(q, self.lang)
            if unit:
                add_text(p, unit, self.fonts, size=7.5, color="555555")
            set_cell_background(cell, "E7E6E6")
        set_repeat_table_header(table.rows[0])
        for r in range(1, rows + 1):
            row = table.rows[r]
            row.height = Cm(0.85)
            row.cells[0].width = Cm(number_width)
            row.cells[0].paragraphs[0].alignment = 1
            add_text(row.cells[0].paragraphs[0], str(r), self.fonts, size=9)
            for cell in row.cells[1:]:
                cell.width = Cm(width)
        self.para().paragraph_format.space_after = Pt(2)


def _keep_together(elements: Sequence[Any]) -> None:
    """Keep a question's paragraphs (and choice tables) on one page: keep-with-next on all
    paragraphs but the last."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraphs = []
    for element in elements:
        if element.tag == qn("w:p"):
            paragraphs.append(element)
        elif element.tag == qn("w:tbl"):
            paragraphs.extend(element.iter(qn("w:p")))
    for paragraph in paragraphs[:-1]:
        ppr = paragraph.get_or_add_pPr()
        if ppr.find(qn("w:keepNext")) is None:
            ppr.append(OxmlElement("w:keepNext"))


def _without_codes(words: str, codes: Mapping[str, str]) -> str:
    """Constraint words without the trailing missing codes (printed beside them anyway).

    Examples
    --------
    >>> _without_codes("取值 16–110，或 998、999", {"998": "不知道", "999": "拒答"})
    '取值 16–110'
    """
    match = re.search(r"(，或 |, or )([\w.\-]+(?:(?:、|, )[\w.\-]+)*)$", words)
    if match and codes:
        listed = re.split(r"、|, ", match.group(2))
        if set(listed) <= set(codes):
            return words[: match.start()]
    return words


def _roster_unit(q: Question, lang: str) -> str:
    if q.is_multiple:
        return "（可多选）" if lang == "zh" else " (all that apply)"
    if q.missing_codes:
        return (
            "（" + "，".join(f"{k}={v}" for k, v in q.missing_codes.items()) + "）"
            if lang == "zh"
            else " (" + ", ".join(f"{k}={v}" for k, v in q.missing_codes.items()) + ")"
        )
    return ""


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _digits(q: Question) -> int | None:
    """Digit boxes for a number question: the digits of its largest allowed value or code."""
    node = _tree(q.constraint) if q.constraint else None
    highs = [float(code) for code in q.missing_codes if re.fullmatch(r"\d+", code)]
    for n in walk(node) if node is not None else ():
        if (
            isinstance(n, Binary)
            and n.op in ("<=", "<")
            and isinstance(n.left, Current)
            and isinstance(n.right, Number)
        ):
            highs.append(n.right.value)
    if not highs:
        return None
    digits = len(str(int(max(highs))))
    return digits if digits <= 8 else None


def paper_document(
    form: str | Path | Instrument,
    lang: str = "zh",
    *,
    fonts: Fonts = DEFAULT_FONTS,
    roster_rows: int = 8,
    title: str | None = None,
) -> Any:
    """The paper questionnaire as a python-docx ``Document`` (see :func:`write_paper`)."""
    lang = _lang(lang)
    return _Writer(_instrument(form), lang, fonts, roster_rows).render(title)


def write_paper(
    form: str | Path | Instrument,
    out: str | Path | None = None,
    lang: str = "zh",
    *,
    fonts: Fonts = DEFAULT_FONTS,
    roster_rows: int = 8,
    title: str | None = None,
) -> Path:
    """Write the printable questionnaire of ``form`` as DOCX.

    Parameters
    ----------
    form : str, Path or Instrument
        The XLSForm (or a loaded Instrument).
    out : str or Path, optional
        The DOCX file (default: beside the form, ``<form>_paper_<lang>.docx``).
    lang : str
        ``zh`` or ``en``: labels, instructions and skip wording.
    fonts : Fonts
        Latin and East Asian fonts.
    roster_rows : int
        Blank rows of a roster whose repeat_count is not a fixed number.
    title : str, optional
        Title printed on top (default: the form's title).

    Returns
    -------
    Path
        The file written.
    """
    instrument = _instrument(form)
    if out is None:
        if instrument.path is None:
            raise InstrumentError(
                "INS051",
                "no output file given for a form that has no file",
                hint="Pass --out FILE.docx.",
            )
        out = Path(instrument.path).with_name(f"{Path(instrument.path).stem}_paper_{lang}.docx")
    out = Path(out)
    document = paper_document(instrument, lang, fonts=fonts, roster_rows=roster_rows, title=title)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(document_bytes(document))
    except OSError as exc:
        raise InstrumentError(
            "INS051",
            f"cannot write the questionnaire: {exc.strerror or exc}",
            file=out,
            hint="Check the folder is writable and the file is not open in Word.",
        ) from None
    return out
