"""Chinese texts of the coded errors the entry app can show a clerk or a supervisor.

The toolkit's coded errors (:class:`~analysis.errors.BaicunError`) carry an English message
and hint, written for the command line. The entry screen speaks Chinese too: every code a
web request can raise has a Chinese text here, and :func:`coded_message` gives the pair
the screen shows (Chinese from this table, English from the error itself).

Examples
--------
>>> from analysis.errors import EntryError
>>> text = coded_message(EntryError("ENT015", "this entry was saved elsewhere"))
>>> text["zh"]
'这份录入在您打开之后已在别处保存过：请重新打开再修改。'
>>> text["en"]
'this entry was saved elsewhere'
>>> coded_message(EntryError("EXP010", "a cycle"))["zh"].startswith("问卷表单的逻辑有错误")
True
"""

from __future__ import annotations

from ..errors import BaicunError
from .values import Message, message

__all__ = ["ZH", "coded_hint", "coded_message"]

#: Chinese text of each code a request to the entry app can raise.
ZH: dict[str, str] = {
    "ENT003": "用户名或角色不对。",
    "ENT004": "没有这个用户。",
    "ENT005": "密码不符合要求。",
    "ENT007": "研究里没有这份问卷。",
    "ENT010": "没有这份录入或问卷。",
    "ENT011": "提交编号不对：请重新打开录入页面。",
    "ENT012": "这份问卷您已经录入过了：请在首页打开原来的录入修改。",
    "ENT013": "这份问卷已经录入两次，不需要再录入。",
    "ENT014": "这不是您录入的问卷。",
    "ENT015": "这份录入在您打开之后已在别处保存过：请重新打开再修改。",
    "ENT016": "这份问卷已由审核员定稿，不能再修改。",
    "ENT017": "比对期间有录入员修改了其中一次录入：请重新打开比对页面。",
    "ENT018": "问卷录入两次之后才能定稿。",
    "ENT019": "还有两次录入不一致的地方没有决定。",
    "ENT020": "提交的内容与本问卷不符：请重新加载录入页面。",
    "ENT021": "还有未通过检查的答案，未保存。",
    "ENT022": "问卷表单的逻辑无法计算：请联系管理员检查表单。",
    "ENT023": "这份问卷已经定稿。",
    "ENT024": "有超出应有行数的行：请确认删除这些行，或改正行数所依据的答案。",
}

#: Chinese hint of the codes whose English hint tells the user what to do.
_ZH_HINTS: dict[str, str] = {
    "ENT020": "请重新加载录入页面。",
    "ENT022": "请管理员运行 baicun instrument check 检查表单。",
}

#: Text of the codes of other areas (expressions of the form, mostly).
_ZH_OTHER = "问卷表单的逻辑有错误，请联系管理员。"


def coded_message(error: BaicunError) -> Message:
    """The Chinese and English message of a coded error."""
    return message(ZH.get(error.code, _ZH_OTHER), error.message)


def coded_hint(error: BaicunError) -> Message | None:
    """The Chinese and English hint of a coded error, or None when it has none.

    Examples
    --------
    >>> from analysis.errors import EntryError
    >>> coded_hint(EntryError("ENT020", "bad", hint="Reload the entry page."))["zh"]
    '请重新加载录入页面。'
    >>> coded_hint(EntryError("ENT010", "no entry")) is None
    True
    """
    if not error.hint:
        return None
    return message(_ZH_HINTS.get(error.code, ""), error.hint)
