"""Skip logic, constraints and calculations in words (Chinese or English).

Used by the codebook and the paper questionnaire. Simple rules are translated, e.g.
``${has_tv} = '1'`` -> 若“有电视吗？”选“是”, ``. >= 0 and . <= 120`` -> 取值 0–120;
a rule that is not simple is returned as written, so nothing is ever lost.

Examples
--------
>>> from analysis.instrument.model import Choice, ChoiceList, Instrument, Question
>>> yes_no = ChoiceList("yn", (Choice("1", {"zh": "是", "en": "Yes"}), Choice("2", {"zh": "否", "en": "No"})))
>>> form = Instrument(path=None, form_id="f", title="f", version=None, default_language="zh",
...     languages=("zh", "en"), groups=(), choice_lists={"yn": yes_no}, questions=(
...     Question("has_tv", "select_one", {"zh": "有电视吗？", "en": "Has a TV?"}, list_name="yn"),
...     Question("age", "integer", {"zh": "年龄", "en": "Age"})))
>>> condition_in_words("${has_tv} = '1'", form, "zh")
'若“有电视吗？”选“是”'
>>> condition_in_words("${has_tv} = '1' and ${age} >= 18", form, "en")
'if "Has a TV?" is "Yes" and "Age" is at least 18'
>>> constraint_in_words(". >= 0 and . <= 120", form, "zh")
'取值 0–120'
>>> constraint_in_words("(. >= 0 and . <= 120) or . = 98 or . = 99", form, "en")
'between 0 and 120, or 98, 99'
>>> condition_in_words("${has_tv} = '2'", form, "zh", numbers={"has_tv": 3})
'若第3题选“否”'
>>> constraint_in_words("foo(.) > bar", form, "zh")
'foo(.) > bar'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..expressions.tree import Binary, Call, Current, Field, Negate, Node, Number, Text
from .logic import ARITHMETIC, Rule, is_call, is_comparison, rule
from .model import Instrument, Question

__all__ = [
    "calculation_in_words",
    "condition_in_words",
    "conditions_in_words",
    "constraint_in_words",
    "plain_label",
    "type_in_words",
]

#: Chinese words for a comparison: the same for another field as for the answer itself.
_ZH_OPS = {"=": "等于", "!=": "不等于", ">": "大于", ">=": "不小于", "<": "小于", "<=": "不大于"}
_OPS = {
    "zh": _ZH_OPS,
    "en": {
        "=": "equals",
        "!=": "is not",
        ">": "is greater than",
        ">=": "is at least",
        "<": "is less than",
        "<=": "is at most",
    },
}
_SELF_OPS = {
    "zh": _ZH_OPS,
    "en": {
        "=": "equal to",
        "!=": "not",
        ">": "greater than",
        ">=": "at least",
        "<": "less than",
        "<=": "at most",
    },
}
#: Words for counts of selected choices (count-selected).
_COUNT = {
    "zh": {">": "多于", ">=": "至少", "<": "少于", "<=": "最多", "=": "", "!=": "不是"},
    "en": {
        ">": "more than",
        ">=": "at least",
        "<": "fewer than",
        "<=": "at most",
        "=": "exactly",
        "!=": "not",
    },
}
_FLIP = {"=": "=", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
_TYPE_WORDS = {
    "integer": ("整数", "integer"),
    "decimal": ("小数", "decimal"),
    "text": ("文本", "text"),
    "select_one": ("单选", "single choice"),
    "select_multiple": ("多选", "multiple choice"),
    "select_one_from_file": ("单选（外部选项表）", "single choice (list from file)"),
    "select_multiple_from_file": ("多选（外部选项表）", "multiple choice (list from file)"),
    "select_one_external": ("单选（外部选项）", "single choice (external)"),
    "rank": ("排序", "ranking"),
    "date": ("日期", "date"),
    "datetime": ("日期时间", "date and time"),
    "time": ("时间", "time"),
    "geopoint": ("GPS 坐标", "GPS point"),
    "geotrace": ("GPS 轨迹", "GPS line"),
    "geoshape": ("GPS 多边形", "GPS polygon"),
    "note": ("说明", "note"),
    "calculate": ("计算", "calculated"),
    "acknowledge": ("确认", "acknowledgement"),
    "range": ("量表", "range"),
    "image": ("照片", "photo"),
    "audio": ("录音", "audio"),
    "video": ("视频", "video"),
    "file": ("文件", "file"),
    "barcode": ("条形码", "barcode"),
    "hidden": ("隐藏", "hidden"),
    "start": ("开始时间（自动）", "start time (automatic)"),
    "end": ("结束时间（自动）", "end time (automatic)"),
    "today": ("调查日期（自动）", "survey date (automatic)"),
    "deviceid": ("设备号（自动）", "device id (automatic)"),
    "username": ("用户名（自动）", "user name (automatic)"),
    "audit": ("审计日志（自动）", "audit log (automatic)"),
}


def _pad(value: str) -> str:
    """Spaces around a Latin/number value set in Chinese text (none around Chinese words)."""
    return f" {value} " if re.fullmatch(r"[\w.\-:/]+", value, re.ASCII) else value


def _lang(lang: str | None) -> str:
    return "en" if (lang or "zh").lower().startswith("en") else "zh"


def type_in_words(question: Question, lang: str = "zh") -> str:
    """The question type in words (``单选``, ``integer``, ...).

    Examples
    --------
    >>> type_in_words(Question("a", "select_multiple"), "zh")
    '多选'
    """
    zh, en = _TYPE_WORDS.get(question.type, (question.type, question.type))
    text = zh if _lang(lang) == "zh" else en
    if question.or_other:
        text += "（含其他）" if _lang(lang) == "zh" else " (with other)"
    return text


def plain_label(text: str, limit: int | None = None) -> str:
    """A label without markdown/HTML markup and extra spaces, optionally shortened.

    Examples
    --------
    >>> plain_label("**户主**的 <span style='color:red'>年龄</span>  ")
    '户主的 年龄'
    >>> plain_label("一二三四五六七八九十", 5)
    '一二三四…'
    """
    text = re.sub(r"<[^>]+>", "", str(text))
    text = re.sub(r"(\*\*|__|\*|`|^#+\s*)", "", text, flags=re.M)
    text = re.sub(r"\s+", " ", text).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


class _Words:
    def __init__(self, form: Instrument, lang: str, numbers: Mapping[str, int] | None) -> None:
        self.form = form
        self.lang = _lang(lang)
        self.label_lang = lang if lang in form.languages else self.lang
        self.numbers = numbers or {}

    # ---------------------------------------------------------------- pieces
    def question(self, name: str) -> Question | None:
        return self.form.question(name) if name in self.form else None

    def name(self, name: str) -> str:
        if name in self.numbers:
            return f"第{self.numbers[name]}题" if self.lang == "zh" else f"Q{self.numbers[name]}"
        q = self.question(name)
        label = plain_label(q.label(self.label_lang), 30) if q else name
        return f"“{label}”" if self.lang == "zh" else f'"{label}"'

    def choice(self, question: str, code: str) -> str:
        q = self.question(question)
        label = None
        if q is not None and q.list_name and q.list_name in self.form.choice_lists:
            choices = self.form.choice_lists[q.list_name]
            label = choices.label_of(code, self.label_lang)
            if code == "other" and label in (None, "Other", "other"):
                label = "其他" if self.lang == "zh" else "Other"  # pyxform's untranslated or_other
        text = plain_label(label, 30) if label else code
        return f"“{text}”" if self.lang == "zh" else f'"{text}"'

    def literal(self, node: Node) -> str | None:
        if isinstance(node, Number):
            value = node.value
            return str(int(value)) if float(value).is_integer() else f"{value:g}"
        if isinstance(node, Text):
            return node.value
        if isinstance(node, Negate) and isinstance(node.operand, Number):
            inner = self.literal(node.operand)
            return f"-{inner}"
        if is_call(node, "today", "now") and not node.args:
            return "今天" if self.lang == "zh" else "today"
        if is_call(node, "date") and len(node.args) == 1:
            return self.literal(node.args[0])
        return None

    def operand(self, node: Node) -> str | None:
        if isinstance(node, Field):
            return self.name(node.name)
        return self.literal(node)

    def operands(self, node: Node) -> tuple[Node, ...]:
        """The operands of an and/or chain as written (see :meth:`Rule.operands`)."""
        return self.rule.operands(node) if self.rule else (node,)

    # ---------------------------------------------------------------- conditions
    def between(self, node: Node) -> str | None:
        """``${x} >= a and ${x} <= b`` -> “x”在 a–b 之间."""
        args = self.operands(node)
        if not _logical(node, "and") or len(args) != 2:
            return None
        bounds: dict[str, str] = {}
        names = set()
        for arg in args:
            if not is_comparison(arg):
                return None
            op, left, right = _sides(arg)
            if not isinstance(left, Field) and isinstance(right, Field):
                left, right, op = right, left, _FLIP[op]
            value = self.literal(right)
            if not isinstance(left, Field) or op not in (">=", "<=") or value is None:
                return None
            names.add(left.name)
            bounds[op] = value
        if len(names) != 1 or len(bounds) != 2:
            return None
        who = self.name(names.pop())
        if self.lang == "zh":
            return f"{who}在 {bounds['>=']}–{bounds['<=']} 之间"
        return f"{who} is between {bounds['>=']} and {bounds['<=']}"

    def condition(self, node: Node) -> str | None:
        between = self.between(node)
        if between:
            return between
        if _logical(node, "and", "or"):
            assert isinstance(node, Binary)
            parts = []
            for arg in self.operands(node):
                text = self.condition(arg)
                if text is None:
                    return None
                if isinstance(arg, Binary) and arg.op in ("and", "or") and arg.op != node.op:
                    text = f"（{text}）" if self.lang == "zh" else f"({text})"
                parts.append(text)
            joiner = {"zh": {"and": "且", "or": "或"}, "en": {"and": " and ", "or": " or "}}
            return joiner[self.lang][node.op].join(parts)
        if is_comparison(node):
            return self.comparison(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Field):  # a bare reference is true when answered
            return (
                f"{self.name(node.name)}已回答"
                if self.lang == "zh"
                else f"{self.name(node.name)} is answered"
            )
        return None

    def comparison(self, node: Node) -> str | None:
        op, left, right = _sides(node)
        if not isinstance(left, Field) and isinstance(right, Field):
            left, right, op = right, left, _FLIP[op]
        if (
            isinstance(left, Call)
            and left.name == "count-selected"
            and len(left.args) == 1
            and isinstance(left.args[0], Field)
        ):
            n = self.literal(right)
            if n is None:
                return None
            who = self.name(left.args[0].name)
            if self.lang == "zh":
                return f"{who}选了{_COUNT['zh'][op]} {n} 项".replace("了 ", "了")
            return f"{who} has {_COUNT['en'][op]} {n} choices selected"
        if not isinstance(left, Field):
            return None
        name = left.name
        q = self.question(name)
        if isinstance(right, Text) and right.value == "" and op in ("=", "!="):
            answered = op == "!="
            if self.lang == "zh":
                return f"{self.name(name)}{'已回答' if answered else '未回答'}"
            return f"{self.name(name)} is {'answered' if answered else 'not answered'}"
        if q is not None and q.is_select and isinstance(right, Text | Number) and op in ("=", "!="):
            code = self.literal(right) or ""
            if self.lang == "zh":
                return f"{self.name(name)}{'选' if op == '=' else '未选'}{self.choice(name, code)}"
            return f"{self.name(name)} is {'' if op == '=' else 'not '}{self.choice(name, code)}"
        value = self.operand(right)
        if value is None:
            return None
        if self.lang == "zh":
            return (
                f"{self.name(name)}{_OPS['zh'][op]} {value}"
                if not isinstance(right, Field)
                else f"{self.name(name)}{_OPS['zh'][op]}{value}"
            )
        return f"{self.name(name)} {_OPS['en'][op]} {value}"

    def call(self, node: Call) -> str | None:
        name, args = node.name, node.args
        if (
            name == "selected"
            and len(args) == 2
            and isinstance(args[0], Field)
            and isinstance(args[1], Text | Number)
        ):
            q, code = args[0].name, self.literal(args[1]) or ""
            multiple = (self.question(q) or Question(q, "select_one")).is_multiple
            if self.lang == "zh":
                return f"{self.name(q)}{'选了' if multiple else '选'}{self.choice(q, code)}"
            return f"{self.name(q)} {'includes' if multiple else 'is'} {self.choice(q, code)}"
        if name == "not" and len(args) == 1:
            inner = args[0]
            if (
                isinstance(inner, Call)
                and inner.name == "selected"
                and len(inner.args) == 2
                and isinstance(inner.args[0], Field)
            ):
                q, code = inner.args[0].name, self.literal(inner.args[1]) or ""
                if self.lang == "zh":
                    return f"{self.name(q)}未选{self.choice(q, code)}"
                multiple = (self.question(q) or Question(q, "select_one")).is_multiple
                return f"{self.name(q)} {'does not include' if multiple else 'is not'} {self.choice(q, code)}"
            text = self.condition(inner)
            if text is None:
                return None
            return f"并非（{text}）" if self.lang == "zh" else f"not ({text})"
        return None

    # ---------------------------------------------------------------- constraints
    def constraint(self, node: Node) -> str | None:
        if _logical(node, "or"):
            # range or listed codes: (. >= 0 and . <= 120) or . = 98 or . = 99
            args = self.operands(node)
            main, codes = [], []
            for arg in args:
                if isinstance(arg, Binary) and arg.op == "=" and isinstance(arg.left, Current):
                    value = self.literal(arg.right)
                    if value is None:
                        return None
                    codes.append(value)
                else:
                    main.append(arg)
            if codes and len(main) == 1:
                text = self.constraint(main[0])
                if text is None:
                    return None
                return (
                    f"{text}，或 {'、'.join(codes)}"
                    if self.lang == "zh"
                    else f"{text}, or {', '.join(codes)}"
                )
            parts = [self.constraint(arg) for arg in args]
            if any(p is None for p in parts):
                return None
            return ("；或".join(parts)) if self.lang == "zh" else "; or ".join(parts)  # type: ignore[arg-type]
        if _logical(node, "and"):
            args = list(self.operands(node))
            bounds = self.range(args)
            if bounds:
                return bounds
            parts: list[str] = []
            pair = self.range_pair(args)
            if pair is not None:
                i, j = pair
                parts.append(self.range([args[i], args[j]]) or "")
                args = [a for k, a in enumerate(args) if k not in (i, j)]
            for arg in args:
                text = self.constraint(arg)
                if text is None:
                    return None
                if parts and self.lang == "zh" and text.startswith("取值"):
                    text = text[2:]
                parts.append(text)
            return ("，且".join(parts)) if self.lang == "zh" else "; and ".join(parts)
        if is_comparison(node):
            return self.self_comparison(node)
        if isinstance(node, Call):
            return self.self_call(node)
        return None

    def range_pair(self, args: list[Node]) -> tuple[int, int] | None:
        """Indexes of a ``. >= a`` and a ``. <= b`` among ``and`` operands (numbers only)."""
        low = high = None
        for index, arg in enumerate(args):
            if (
                isinstance(arg, Binary)
                and isinstance(arg.left, Current)
                and isinstance(arg.right, Number)
            ):
                if arg.op == ">=" and low is None:
                    low = index
                elif arg.op == "<=" and high is None:
                    high = index
        return (low, high) if low is not None and high is not None else None

    def range(self, args: list[Node]) -> str | None:
        """``. >= a and . <= b`` (the two operands of an ``and``) -> 取值 a–b."""
        if len(args) != 2:
            return None
        low = high = None
        for arg in args:
            if not is_comparison(arg):
                return None
            op, left, right = _sides(arg)
            if not isinstance(left, Current) and isinstance(right, Current):
                left, right, op = right, left, _FLIP[op]
            if not isinstance(left, Current) or op not in (">=", "<="):
                return None
            value = self.operand(right)
            if value is None:
                return None
            if op == ">=":
                low = value
            else:
                high = value
        if low is None or high is None:
            return None
        numeric = all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in (low, high))
        if self.lang == "zh":
            if numeric:
                return f"取值 {low}–{high}"
            return f"取值在{_pad(low)}与{_pad(high)}之间".replace("  ", " ")
        return f"between {low} and {high}"

    def self_comparison(self, node: Node) -> str | None:
        op, left, right = _sides(node)
        if not isinstance(left, Current) and isinstance(right, Current):
            left, right, op = right, left, _FLIP[op]
        if (
            isinstance(left, Call)
            and left.name == "string-length"
            and left.args
            and isinstance(left.args[0], Current)
        ):
            n = self.literal(right)
            if n is None:
                return None
            if self.lang == "zh":
                return (
                    f"长度为 {n} 个字符" if op == "=" else f"长度{_SELF_OPS['zh'][op]} {n} 个字符"
                )
            return (
                f"exactly {n} characters long"
                if op == "="
                else f"length {_SELF_OPS['en'][op]} {n} characters"
            )
        if (
            isinstance(left, Call)
            and left.name == "count-selected"
            and left.args
            and isinstance(left.args[0], Current)
        ):
            n = self.literal(right)
            if n is None:
                return None
            zh = {
                "<=": f"最多选 {n} 项",
                ">=": f"至少选 {n} 项",
                "=": f"选 {n} 项",
                "<": f"少于 {n} 项",
                ">": f"多于 {n} 项",
            }
            en = {
                "<=": f"at most {n} choices",
                ">=": f"at least {n} choices",
                "=": f"exactly {n} choices",
                "<": f"fewer than {n} choices",
                ">": f"more than {n} choices",
            }
            return (zh if self.lang == "zh" else en).get(op)
        if not isinstance(left, Current):
            return None
        value = self.operand(right)
        if value is None:
            return None
        if self.lang == "zh":
            sep = "" if isinstance(right, Field) or re.search(r"[\u4e00-\u9fff]", value) else " "
            return f"取值{_SELF_OPS['zh'][op]}{sep}{value}"
        return f"{_SELF_OPS['en'][op]} {value}"

    def self_call(self, node: Call) -> str | None:
        name, args = node.name, node.args
        if (
            name == "regex"
            and len(args) == 2
            and isinstance(args[0], Current)
            and isinstance(args[1], Text)
        ):
            pattern = args[1].value
            digits = re.fullmatch(r"\^?(?:\[0-9\]|\\d)\{(\d+)\}\$?", pattern)
            if digits:
                n = digits.group(1)
                return f"{n} 位数字" if self.lang == "zh" else f"{n} digits"
            return f"符合格式 {pattern}" if self.lang == "zh" else f"matching the pattern {pattern}"
        if name == "not" and len(args) == 1 and _logical(args[0], "and"):
            # not(selected(., 'x') and count-selected(.) > 1): "x" is exclusive
            inner = self.operands(args[0])
            sel = [
                a
                for a in inner
                if isinstance(a, Call)
                and a.name == "selected"
                and a.args
                and isinstance(a.args[0], Current)
            ]
            cnt = [
                a
                for a in inner
                if isinstance(a, Binary) and is_comparison(a) and is_call(a.left, "count-selected")
            ]
            if len(inner) == 2 and sel and cnt and len(sel[0].args) == 2:
                code = self.literal(sel[0].args[1]) or ""
                label = self.choice(self.self_name, code) if self.self_name else f"“{code}”"
                return (
                    f"{label}不能与其他选项同选"
                    if self.lang == "zh"
                    else f"{label} cannot be combined with other choices"
                )
        return None

    self_name: str | None = None
    rule: Rule | None = None

    # ---------------------------------------------------------------- calculations
    def calculation(self, node: Node) -> str | None:
        if isinstance(node, Binary) and node.op in ARITHMETIC:
            symbols = {"+": "+", "-": "−", "*": "×", "div": "÷", "mod": "mod"}
            parts = []
            for arg in (node.left, node.right):
                text = self.calculation(arg)
                if text is None:
                    return None
                if (
                    isinstance(arg, Binary)
                    and arg.op in ARITHMETIC
                    and symbols[arg.op] in "+−"
                    and node.op in ("*", "div")
                ):
                    text = f"({text})"
                parts.append(text)
            return f" {symbols[node.op]} ".join(parts)
        if isinstance(node, Field):
            return self.name(node.name)
        if (
            isinstance(node, Call)
            and node.name in ("sum", "count", "max", "min")
            and len(node.args) == 1
            and isinstance(node.args[0], Field)
        ):
            words = {
                "zh": {"sum": "合计", "count": "个数", "max": "最大值", "min": "最小值"},
                "en": {"sum": "sum of", "count": "count of", "max": "largest", "min": "smallest"},
            }
            word = words[self.lang][node.name]
            target = self.name(node.args[0].name)
            return f"{target}{word}" if self.lang == "zh" else f"{word} {target}"
        return self.literal(node)


def _logical(node: Node, *ops: str) -> bool:
    """True for an ``and``/``or`` node whose operator is one of ``ops``."""
    return isinstance(node, Binary) and node.op in ops


def _sides(node: Node) -> tuple[str, Node, Node]:
    """Operator, left and right operand of a binary node."""
    assert isinstance(node, Binary)
    return node.op, node.left, node.right


def _words(form: Instrument, lang: str, numbers: Mapping[str, int] | None, parsed: Rule) -> _Words:
    words = _Words(form, lang, numbers)
    words.rule = parsed
    return words


def condition_in_words(
    expression: str | None,
    form: Instrument,
    lang: str = "zh",
    *,
    numbers: Mapping[str, int] | None = None,
) -> str:
    """A relevance (skip) condition in words, or the expression as written when not simple.

    Parameters
    ----------
    expression : str
        The ``relevant`` expression.
    form : Instrument
        The form (for question and choice labels).
    lang : str
        ``"zh"`` or ``"en"`` (labels in that language where the form has it).
    numbers : mapping, optional
        Question numbers (paper questionnaire): questions are then named 第3题 / Q3.
    """
    if not expression:
        return ""
    parsed = rule(expression)
    text = _words(form, lang, numbers, parsed).condition(parsed.tree) if parsed else None
    if text is None:
        return str(expression)
    return f"若{text}" if _lang(lang) == "zh" else f"if {text}"


def conditions_in_words(
    expressions: Iterable[str | None],
    form: Instrument,
    lang: str = "zh",
    *,
    numbers: Mapping[str, int] | None = None,
) -> str:
    """Several conditions that must all hold (group and question relevance) in one phrase.

    Examples
    --------
    >>> from analysis.instrument.model import Instrument, Question
    >>> form = Instrument(None, "f", "f", None, "zh", ("zh",), (Question("age", "integer", {"zh": "年龄"}),), (), {})
    >>> conditions_in_words(["${age} >= 6 and ${age} <= 25", "${age} != 18"], form)
    '若“年龄”在 6–25 之间，且“年龄”不等于 18'
    """
    parts = []
    for expression in expressions:
        if not expression:
            continue
        text = condition_in_words(expression, form, lang, numbers=numbers)
        if text.startswith("若"):
            text = text[1:]
        elif text.startswith("if "):
            text = text[3:]
        parts.append(text)
    if not parts:
        return ""
    if _lang(lang) == "zh":
        return "若" + "，且".join(parts)
    return "if " + ", and ".join(parts)


def constraint_in_words(
    expression: str | None,
    form: Instrument,
    lang: str = "zh",
    *,
    question: str | None = None,
    numbers: Mapping[str, int] | None = None,
) -> str:
    """A constraint in words (取值 0–120, at most 3 choices, ...), or as written.

    Parameters
    ----------
    question : str, optional
        The name of the constrained question (to name its choices).
    """
    if not expression:
        return ""
    parsed = rule(expression)
    if parsed is None:
        return str(expression)
    words = _words(form, lang, numbers, parsed)
    words.self_name = question
    text = words.constraint(parsed.tree) or words.condition(parsed.tree)
    return str(expression) if text is None else text


def calculation_in_words(
    expression: str | None,
    form: Instrument,
    lang: str = "zh",
    *,
    numbers: Mapping[str, int] | None = None,
) -> str:
    """A calculation in words (“有线电视户数” ÷ “总户数”), or as written.

    Examples
    --------
    >>> from analysis.instrument.model import Instrument, Question
    >>> form = Instrument(None, "f", "f", None, "zh", ("zh",), (
    ...     Question("cable", "integer", {"zh": "有线电视户数"}),
    ...     Question("hh", "integer", {"zh": "总户数"})), (), {})
    >>> calculation_in_words("${cable} div ${hh} * 100", form)
    '“有线电视户数” ÷ “总户数” × 100'
    """
    if not expression:
        return ""
    parsed = rule(expression)
    text = _words(form, lang, numbers, parsed).calculation(parsed.tree) if parsed else None
    return str(expression) if text is None else text
