"""Calculations that give wording, not data: the same sentence written differently.

Forms often compute the wording of a later question (``if(${age} < 18, 'Does he / she
have difficulty walking or climbing steps?', 'Do you have difficulty walking or
climbing steps?')``) and show it in that question's label. Exports made by other tools
do not always keep such sentences as the form wrote them: REACH's MSNA template data
holds ``walking|climbing`` where the form says ``walking or climbing`` (the form's
``or`` turned into R's ``|`` when the calculation was translated to R). Compared
character by character, each record is a ``VAL123`` warning (about 400 on 100 records)
although every record holds the right sentence.

A calculation is a *wording calculation* when each value it can give is a string
literal of several words (through nested ``if()``). Its stored value is the recomputed
one *written differently* when, among the sentences the calculation can give, the
recomputed one is the closest to the stored text and close enough (similarity of at
least :data:`SIMILAR`). Such cells are not record issues; validation reports them once
per question (``VAL320``, info). A stored sentence closer to another branch (the export
chose ``Does he / she ...`` where the data say ``Do you ...``) is still a ``VAL123``.

Examples
--------
>>> texts = wording_texts("if(${a} < 18, 'Does he walk or climb steps?', 'Do you walk or climb')")
>>> texts
('Does he walk or climb steps?', 'Do you walk or climb')
>>> same_wording("Do you walk|climb", "Do you walk or climb", texts)
True
>>> same_wording("Does he walk|climb steps?", "Do you walk or climb", texts)
False
>>> wording_texts("if(${a} < 18, 'child', 'adult')") is None  # codes, not sentences
True
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from ..expressions.errors import BadExpression
from ..expressions.parser import parse_tree
from ..expressions.tree import Call, Node, Text

__all__ = ["SIMILAR", "same_wording", "wording_texts"]

#: Least similarity (difflib ratio of the case-folded texts) of a text written differently.
SIMILAR = 0.8
#: Fewest words of a sentence: shorter literals are codes or names, compared exactly.
_WORDS = 3
_SPACE = re.compile(r"\s+")


def _results(node: Node) -> list[str] | None:
    if isinstance(node, Text):
        return [node.value]
    if isinstance(node, Call) and node.name == "if" and len(node.args) == 3:
        then, other = _results(node.args[1]), _results(node.args[2])
        return None if then is None or other is None else then + other
    return None


@lru_cache(maxsize=1024)
def wording_texts(expression: str | None) -> tuple[str, ...] | None:
    """The sentences a wording calculation can give; ``None`` when it is not one.

    Every value the expression can give must be a string literal (``if()`` branches are
    followed) and each non-empty one a sentence of at least three words.

    Examples
    --------
    >>> wording_texts("'Do you have a bicycle?'")
    ('Do you have a bicycle?',)
    >>> wording_texts("concat('Do you have ', ${item})") is None
    True
    """
    if not expression:
        return None
    try:
        results = _results(parse_tree(expression))
    except BadExpression:
        return None
    if not results:
        return None
    texts = tuple(dict.fromkeys(t for t in results if t.strip()))
    if not texts or any(len(t.split()) < _WORDS for t in texts):
        return None
    return texts


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _norm(a), _norm(b), autojunk=False).ratio()


def same_wording(stored: str, recomputed: str, texts: tuple[str, ...]) -> bool:
    """Whether ``stored`` is the sentence ``recomputed`` written differently.

    ``recomputed`` must be one of ``texts`` (the calculation's sentences) and the one
    closest to ``stored``, with a similarity of at least :data:`SIMILAR`.

    Examples
    --------
    >>> same_wording("Do you  SMOKE?  Would you say", "Do you smoke? Would you say",
    ...              ("Do you smoke? Would you say",))
    True
    >>> same_wording("no", "Do you smoke? Would you say", ("Do you smoke? Would you say",))
    False
    """
    if recomputed not in texts or not stored.strip():
        return False
    scores = {text: _similarity(stored, text) for text in texts}
    best = max(scores.values())
    return scores[recomputed] == best >= SIMILAR and (
        sum(score == best for score in scores.values()) == 1
    )
