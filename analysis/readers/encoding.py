"""Text encodings of CSV exports: UTF-8 (with or without BOM), GBK, GB18030, Big5, UTF-16.

Detection, in order:

1. a UTF-16 byte-order mark: UTF-16 (Excel's "Unicode text");
2. valid UTF-8 (``utf-8-sig`` with a byte-order mark);
3. UTF-16 without a byte-order mark, recognised by its zero bytes;
4. otherwise every plausible codec (UTF-8, GBK, GB18030, Big5, cp1252, mac_roman, and
   line by line UTF-8 + GBK for files pasted together, RD152) decodes the bytes, each
   undecodable byte becoming U+FFFD; the codec that fits most of the file wins: fewest
   undecodable places, then fewest implausible characters (kana, box drawing, rare
   ideographs, private-use code points for Chinese codecs; runs of accented letters for
   the Western ones). Each undecodable place is returned (byte offset and bytes) for the
   caller to log where it is (RD156); the rest of the text stays intact.

A Western guess is logged RD150; a UTF-8 BOM in front of a file that is not UTF-8 is
dropped and logged (RD151); a file that another codec also reads plausibly, into other
text, is logged RD155 naming both. Text where undecodable bytes are more than one tenth of
the non-ASCII characters is refused (``RD021``, naming the closest codec). A declared
``encoding`` that does not decode the file raises ``RD005``; one that decodes it although
the bytes look like another encoding is logged (RD154).

Examples
--------
>>> text, enc, notes = decode_text("村名,户数\\n".encode("gbk"))
>>> enc, text.split(",")[0]
('gbk', '村名')
>>> decode_text("村名\\n".encode("utf-8-sig"))[1]
'utf-8-sig'
>>> found = decode_marked("村名,张三\\n".encode("gbk") + b"\\xff")
>>> found.encoding, found.text, found.bad
('gbk', '村名,张三\\n�', [(10, b'\\xff')])
"""

from __future__ import annotations

import codecs
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from ..errors import ReadError

__all__ = ["Decoded", "decode_marked", "decode_text", "looks_chinese_gb", "looks_utf16"]

_GB_PAIR = re.compile(rb"[\x81-\xfe][\x40-\x7e\x80-\xfe]")
_MARK = "baicun-mark-undecodable"
_local = threading.local()
#: Undecodable places per non-ASCII character above which a file is refused (RD021).
_REFUSE_SHARE = 0.1
#: Codecs tried on text that is not UTF-8, in order of preference on equal fit.
_CANDIDATES = ("utf-8", "gbk", "gb18030", "big5", "cp950", "cp1252", "mac_roman")
_WESTERN = ("cp1252", "mac_roman")
_NAMES = {"cp950": "Big5 (cp950)", "big5": "Big5", "gbk": "GBK", "gb18030": "GB18030"}


class _TooMany(Exception):
    """Raised inside a decode that has passed its budget of undecodable places."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def _marker(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):  # pragma: no cover - decode only
        raise exc
    sink = getattr(_local, "sink", None)
    if sink is not None:
        sink.append((exc.start, bytes(exc.object[exc.start : exc.end])))
        if len(sink) > getattr(_local, "budget", len(sink)):
            raise _TooMany(exc.start)
    return "\ufffd", exc.end


codecs.register_error(_MARK, _marker)


@dataclass
class Decoded:
    """Decoded text: ``bad`` lists each undecodable place ``(byte offset, bytes)``, in order.

    Each place is one U+FFFD in ``text`` (``bad`` is empty when nothing was replaced).
    """

    text: str
    encoding: str
    notes: list[tuple[str, str]] = field(default_factory=list)
    bad: list[tuple[int, bytes]] = field(default_factory=list)


def looks_chinese_gb(raw: bytes) -> bool:
    """True when the non-ASCII bytes of ``raw`` read as GB2312-range Chinese characters."""
    pairs = _GB_PAIR.findall(raw)
    if not pairs:
        return False
    gb2312 = sum(1 for p in pairs if 0xA1 <= p[0] <= 0xF7 and 0xA1 <= p[1] <= 0xFE)
    return gb2312 / len(pairs) >= 0.8


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _normalise(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _decode(
    raw: bytes, encoding: str, budget: int | None = None
) -> tuple[str, list[tuple[int, bytes]]]:
    """``raw`` decoded, each undecodable place replaced by U+FFFD and listed.

    With a ``budget``, :class:`_TooMany` is raised at the first place beyond it.
    """
    sink: list[tuple[int, bytes]] = []
    previous = getattr(_local, "sink", None), getattr(_local, "budget", None)
    _local.sink = sink
    _local.budget = budget if budget is not None else len(raw) + 1
    try:
        text = raw.decode(encoding, _MARK)
    finally:
        _local.sink, _local.budget = previous
    return text, sink


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    """GB2312's frequent characters and Big5's (level 1 of each)."""
    chars: set[str] = set()
    for lead in (*range(0xA1, 0xB0), *range(0xB0, 0xD8)):  # symbols, level 1 hanzi
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    for lead in range(0xA1, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                continue
    kana = {c for c in chars if "\u3040" <= c <= "\u30ff" or "\u2500" <= c <= "\u257f"}
    greek_cyrillic = {c for c in chars if "\u0370" <= c <= "\u04ff" or "\u3100" <= c <= "\u312f"}
    return frozenset(chars - kana - greek_cyrillic)


def _odd(ch: str) -> bool:
    """A character no survey text is expected to hold (controls, private use, unassigned)."""
    if ch in "\t\r\n\ufffd\ufeff":
        return False
    return unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs")


def _implausible(text: str, encoding: str) -> int:
    """How many non-ASCII characters of ``text`` are unlikely in ``encoding``'s reading."""
    counts = Counter(re.sub(r"[\x00-\x7f]+", "", text))
    if encoding in _WESTERN:
        runs = sum(len(m) for m in re.findall(r"[^\x00-\x7f]{2,}", text))
        others = sum(
            n
            for ch, n in counts.items()
            if ord(ch) > 127 and not unicodedata.category(ch).startswith(("L", "P", "S", "Z"))
        )
        return runs + others
    if encoding.startswith("utf"):
        return sum(n for ch, n in counts.items() if ord(ch) > 127 and _odd(ch))
    common = _common_hanzi()
    weird = 0
    for ch, n in counts.items():
        if ord(ch) < 128 or ch in common or ch == "\ufffd":
            continue
        code = ord(ch)
        if _odd(ch) or 0x3040 <= code <= 0x30FF or 0x2500 <= code <= 0x257F:
            weird += n
        elif 0x0370 <= code <= 0x04FF or 0x3100 <= code <= 0x312F:
            weird += n
        elif unicodedata.category(ch) == "Lo":  # an ideograph outside the frequent ones
            weird += n
    return weird


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the zero bytes fall on one side of each pair."""
    head = raw[:8192]
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    if odd >= 0.1 * pairs and even <= 0.01 * pairs:
        return "utf-16-le"
    if even >= 0.1 * pairs and odd <= 0.01 * pairs:
        return "utf-16-be"
    return None


def looks_utf16(raw: bytes) -> bool:
    """True when ``raw`` starts with a UTF-16 byte-order mark or has UTF-16's zero bytes.

    Examples
    --------
    >>> looks_utf16("村名,户数".encode("utf-16-le")), looks_utf16(b"a,b")
    (True, False)
    """
    return raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or bool(
        _utf16_without_bom(raw)
    )


def _by_line(body: bytes) -> tuple[str, set[str]] | None:
    lines = body.split(b"\n")
    out: list[str] = []
    kinds: set[str] = set()
    for line in lines:
        try:
            text = line.decode("utf-8")
            if not line.isascii():
                kinds.add("utf-8")
        except UnicodeDecodeError:
            if not looks_chinese_gb(line):
                return None
            try:
                text = line.decode("gb18030")
            except UnicodeDecodeError:
                return None
            kinds.add("gb18030")
        out.append(text)
    if kinds != {"utf-8", "gb18030"}:
        return None
    return "\n".join(out), kinds


def _shift(bad: list[tuple[int, bytes]], by: int) -> list[tuple[int, bytes]]:
    return [(offset + by, chunk) for offset, chunk in bad]


def _choose(body: bytes) -> tuple[str, str, list[tuple[int, bytes]], list[tuple[str, str]]]:
    """(text, encoding, bad places, notes) for bytes that are not valid UTF-8."""
    decoded = []
    furthest = (-1, "gb18030")
    for budget in (max(16, len(body) // 1000), max(16, len(body) // 20)):
        for rank, encoding in enumerate(_CANDIDATES):
            try:
                text, bad = _decode(body, encoding, budget)
            except _TooMany as exc:
                furthest = max(furthest, (exc.offset, encoding))
                continue
            decoded.append((len(bad), rank, encoding, text, bad))
        if decoded:
            break
    if not decoded:
        raise ReadError(
            "RD021",
            f"the text is in no encoding the readers know (closest: "
            f"{_NAMES.get(furthest[1], furthest[1])}, undecodable from byte {furthest[0]} on)",
            expected="UTF-8, UTF-16, GBK/GB18030, Big5 or Western (cp1252) text",
            found=f"bytes {body[furthest[0] : furthest[0] + 4].hex(' ')} at byte {furthest[0]}",
            hint="Open the file in a text editor that shows its encoding and save it as UTF-8, "
            "or pass encoding=... if you know it.",
        )
    decoded.sort(key=lambda d: (d[0], d[1]))
    scored = []
    best = None
    for nbad, rank, encoding, text, bad in decoded:
        if best is not None and 4 * nbad > best:
            continue
        weird = _implausible(text, encoding)
        cost = 4 * nbad + weird
        best = cost if best is None else min(best, cost)
        scored.append((cost, rank, encoding, text, bad, weird))
    mixed = _by_line(body)
    if mixed is not None:
        weird = _implausible(mixed[0], "gb18030")
        scored.append((weird, -1, "mixed:" + "+".join(sorted(mixed[1])), mixed[0], [], weird))
    scored.sort(key=lambda s: (s[0], s[1]))
    cost, _, encoding, text, bad, _ = scored[0]
    if encoding == "cp950" and not bad:
        encoding = "big5" if body.decode("big5", "replace") == text else encoding
    notes: list[tuple[str, str]] = []
    if encoding.startswith("mixed:"):
        notes.append(
            ("RD152", f"lines in different encodings ({' and '.join(sorted(mixed[1]))}); "
             "each line was decoded on its own")
        )  # fmt: skip
        return text, encoding, bad, notes
    if len(bad) > max(8, _REFUSE_SHARE * _non_ascii(text)):
        raise ReadError(
            "RD021",
            f"the text is in no encoding the readers know: {len(bad)} undecodable places even as "
            f"{_NAMES.get(encoding, encoding)}, the closest",
            expected="UTF-8, UTF-16, GBK/GB18030, Big5 or Western (cp1252) text",
            found=f"bytes {bad[0][1].hex(' ')} at byte {bad[0][0]}",
            hint="Open the file in a text editor that shows its encoding and save it as UTF-8, "
            "or pass encoding=... if you know it.",
        )
    if encoding in _WESTERN:
        notes.append(
            ("RD150", f"the file is neither UTF-8 nor GBK/GB18030/Big5; read as {encoding} "
             "(guessed from its accented letters): check them, or pass encoding=...")
        )  # fmt: skip
    for other_cost, _, other, other_text, other_bad, weird in scored[1:]:
        if other_bad or other_text == text or other.startswith("mixed:"):
            continue
        if _normalise(other) == _normalise(encoding) or {other, encoding} <= {"big5", "cp950"}:
            continue
        if other in _WESTERN and encoding in _WESTERN:
            continue
        if weird <= 0.05 * _non_ascii(other_text) and other_cost <= cost + 8:
            notes.append(
                ("RD155", f"the bytes read as {_NAMES.get(encoding, encoding)} and also, as other "
                 f"text, as {_NAMES.get(other, other)}: read as {_NAMES.get(encoding, encoding)}; "
                 "check the Chinese text, or pass encoding=...")
            )  # fmt: skip
            break
    return text, encoding, bad, notes


def _detect(raw: bytes) -> Decoded:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, bad = _decode(raw, "utf-16")
        return Decoded(text, "utf-16", [], bad)
    try:
        if raw.startswith(codecs.BOM_UTF8):
            return Decoded(raw.decode("utf-8-sig"), "utf-8-sig")
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    wide = _utf16_without_bom(raw)
    if wide is not None:
        text, bad = _decode(raw, wide)
        if len(bad) <= max(8, _REFUSE_SHARE * len(text)):
            return Decoded(text, wide, [], bad)
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    text, encoding, bad, notes = _choose(raw[start:])
    if start:
        if encoding == "utf-8":
            encoding = "utf-8-sig"
        else:
            notes.insert(
                0,
                ("RD151", "the file starts with a UTF-8 byte-order mark but is not UTF-8; "
                 "the mark was dropped and the rest decoded on its own"),
            )  # fmt: skip
    return Decoded(text, encoding, notes, _shift(bad, start))


def decode_marked(raw: bytes, declared: str | None = None, *, file: str | None = None) -> Decoded:
    """Decode a text export, keeping the places that do not decode (see the module notes).

    Raises
    ------
    ReadError
        ``RD005`` when ``declared`` is not an encoding or does not decode the bytes;
        ``RD021`` when no codec decodes most of the text.
    """
    if declared is None:
        try:
            return _detect(raw)
        except ReadError as exc:
            exc.file = exc.file or file
            raise
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise ReadError(
            "RD005",
            f"unknown encoding {declared!r}",
            file=file,
            expected="utf-8, utf-8-sig, gbk, gb18030, big5, utf-16, cp1252, ...",
            found=declared,
            hint="Pass a Python codec name, or leave encoding out to detect it.",
        ) from None
    if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        try:
            guess = _detect(raw).encoding
        except ReadError:
            guess = "unknown"
        raise ReadError(
            "RD005",
            f"the file is not valid {declared} text",
            file=file,
            row=_line_of(raw, exc.start),
            expected=f"text in {declared}",
            found=f"bytes {raw[exc.start : exc.start + 4]!r} at byte {exc.start}; the file looks like {guess}",
            hint=f"Leave encoding out to detect it, or pass encoding={guess!r}.",
        ) from None
    notes: list[tuple[str, str]] = []
    try:
        guess = _detect(raw).encoding
    except ReadError:
        guess = "unknown"
    if _normalise(guess.split(":")[0]) not in (codec, "utf-8" if codec == "utf-8-sig" else codec):
        if not (codec in ("gbk", "gb18030") and guess in ("gbk", "gb18030")) and not raw.isascii():
            notes.append(
                ("RD154", f"read as {declared} as declared, but the bytes look like {guess}; "
                 "check that Chinese text is not garbled")
            )  # fmt: skip
    return Decoded(text, codec, notes)


def decode_text(
    raw: bytes, declared: str | None = None, *, file: str | None = None
) -> tuple[str, str, list[tuple[str, str]]]:
    """Decode a text export; returns ``(text, encoding, notes)``.

    ``notes`` is a list of ``(issue code, message)`` for the caller's issue log; each
    undecodable place (U+FFFD in the text) is one ``RD156`` note giving its line and bytes.

    Raises
    ------
    ReadError
        ``RD005`` when ``declared`` is not an encoding or does not decode the bytes;
        ``RD021`` when no codec decodes most of the text.
    """
    found = decode_marked(raw, declared, file=file)
    notes = list(found.notes)
    for offset, chunk in found.bad:
        notes.append(
            ("RD156", f"line {_line_of(raw, offset)}: byte(s) {chunk.hex(' ')} at byte {offset} are "
             f"not {found.encoding} text; replaced by U+FFFD")
        )  # fmt: skip
    return found.text, found.encoding, notes
