"""Chinese word segmentation (jieba) that keeps a codebook's keywords whole.

One private :class:`jieba.Tokenizer` per codebook: the keywords are added to its
dictionary with a high frequency, so ``信号差`` stays one word even next to a
dictionary word that overlaps it (``手机信号``), and nothing changes jieba's
global state.

Examples
--------
>>> seg = Segmenter(("信号差",))
>>> "信号差" in seg.words("村里手机信号差，看不了视频")
True
"""

from __future__ import annotations

import logging
from functools import lru_cache

__all__ = ["KEYWORD_FREQ", "Segmenter", "segmenter"]

#: Dictionary frequency given to codebook keywords: high enough to win over
#: overlapping dictionary words, as a domain term should.
KEYWORD_FREQ = 100_000


class Segmenter:
    """Words of a text: jieba's search-mode segmentation with extra dictionary words."""

    def __init__(self, extra_words: tuple[str, ...] = ()) -> None:
        import jieba

        base = _base_dictionary()
        self._tk = jieba.Tokenizer()
        # a copy of the loaded dictionary instead of loading it again (about a second)
        self._tk.FREQ, self._tk.total = dict(base.FREQ), base.total
        self._tk.initialized = True
        for w in extra_words:
            if len(w) > 1:
                self._tk.add_word(w, freq=KEYWORD_FREQ)

    def tokens(self, text: str) -> list[str]:
        """The text cut into consecutive words (precise mode)."""
        return self._tk.lcut(text, HMM=True)

    def words(self, text: str) -> set[str]:
        """Every word jieba finds: precise-mode words, their sub-words (search mode), and
        runs of consecutive precise-mode words up to four long."""
        toks = self.tokens(text)
        out = set(self._tk.lcut_for_search(text, HMM=True)) | set(toks)
        for i in range(len(toks)):
            for j in range(i + 2, min(i + 4, len(toks)) + 1):
                out.add("".join(toks[i:j]))
        return {w for w in out if w.strip()}


@lru_cache(maxsize=1)
def _base_dictionary():
    """jieba's default dictionary, loaded once per process."""
    import jieba

    # jieba sets its logger to DEBUG when imported: its "Loading model cost 1.2 seconds"
    # would end up in the executed notebooks, different on every run
    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


@lru_cache(maxsize=16)
def segmenter(extra_words: tuple[str, ...] = ()) -> Segmenter:
    """A cached :class:`Segmenter` for a set of keywords (loading jieba takes about a second)."""
    return Segmenter(extra_words)
