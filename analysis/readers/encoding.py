"""Text encodings of CSV exports: UTF-8 (with or without BOM), GBK, GB18030, and worse.

Detection, in order:

1. a UTF-16 byte-order mark: UTF-16 (Excel's "Unicode text");
2. a UTF-8 byte-order mark and valid UTF-8: ``utf-8-sig``;
3. valid UTF-8: ``utf-8``;
4. valid GB18030 whose two-byte characters are mostly in the GB2312 range (real
   Chinese text saved by Excel on a Chinese Windows): ``gbk`` when GBK decodes it,
   else ``gb18030``;
5. lines that are valid UTF-8 mixed with lines that are GBK (files pasted together):
   each line decoded on its own (issue RD152);
6. otherwise ``cp1252`` (Western Windows) or ``mac_roman`` (Excel for Mac), whichever
   reads more letters, logged RD150.

A UTF-8 BOM in front of a file that is not UTF-8 is dropped and logged (RD151).
A declared ``encoding`` that does not decode the file raises ``RD005``; one that
decodes it although the bytes look like another encoding is logged (RD154).

Examples
--------
>>> text, enc, notes = decode_text("村名,户数\\n".encode("gbk"))
>>> enc, text.split(",")[0]
('gbk', '村名')
>>> decode_text("村名\\n".encode("utf-8-sig"))[1]
'utf-8-sig'
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from ..errors import ReadError

__all__ = ["decode_text", "looks_chinese_gb"]

_GB_PAIR = re.compile(rb"[\x81-\xfe][\x40-\x7e\x80-\xfe]")


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


def _detect(raw: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    """(text, encoding, [(issue code, message)])."""
    notes: list[tuple[str, str]] = []
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16", notes
        except UnicodeDecodeError:
            pass
    body = raw
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw.decode("utf-8-sig"), "utf-8-sig", notes
        except UnicodeDecodeError:
            body = raw[len(codecs.BOM_UTF8) :]
            notes.append(
                ("RD151", "the file starts with a UTF-8 byte-order mark but is not UTF-8; "
                 "the mark was dropped and the rest decoded on its own")
            )  # fmt: skip
    try:
        return body.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError:
        pass
    if looks_chinese_gb(body):
        for enc in ("gbk", "gb18030"):
            try:
                return body.decode(enc), enc, notes
            except UnicodeDecodeError:
                continue
    mixed = _decode_by_line(body)
    if mixed is not None:
        text, kinds = mixed
        notes.append(
            ("RD152", f"lines in different encodings ({' and '.join(sorted(kinds))}); "
             "each line was decoded on its own")
        )  # fmt: skip
        return text, "mixed:" + "+".join(sorted(kinds)), notes
    text, enc = _western(body)
    notes.append(
        ("RD150", f"the file is neither UTF-8 nor GBK/GB18030; read as {enc} (guessed from its "
         "accented letters): check them, or pass encoding=...")
    )  # fmt: skip
    return text, enc, notes


def _western(body: bytes) -> tuple[str, str]:
    """Western single-byte text: cp1252 (Windows) or mac_roman (Excel for Mac), whichever
    turns more of the non-ASCII bytes into letters; both decode without loss."""
    best: tuple[int, str, str] | None = None
    for enc in ("cp1252", "mac_roman"):
        try:
            text = body.decode(enc)
        except UnicodeDecodeError:
            continue
        letters = sum(
            1 for ch in text if ord(ch) > 127 and unicodedata.category(ch).startswith("L")
        )
        if best is None or letters > best[0]:
            best = (letters, text, enc)
    assert best is not None  # mac_roman decodes every byte
    return best[1], best[2]


def _decode_by_line(body: bytes) -> tuple[str, set[str]] | None:
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


def decode_text(
    raw: bytes, declared: str | None = None, *, file: str | None = None
) -> tuple[str, str, list[tuple[str, str]]]:
    """Decode a text export; returns ``(text, encoding, notes)``.

    ``notes`` is a list of ``(issue code, message)`` for the caller's issue log.

    Raises
    ------
    ReadError
        ``RD005`` when ``declared`` is not an encoding or does not decode the bytes.
    """
    if declared is None:
        return _detect(raw)
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise ReadError(
            "RD005",
            f"unknown encoding {declared!r}",
            file=file,
            expected="utf-8, utf-8-sig, gbk, gb18030, cp1252, ...",
            found=declared,
            hint="Pass a Python codec name, or leave encoding out to detect it.",
        ) from None
    if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        guess = _detect(raw)[1]
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
    guess = _detect(raw)[1]
    if _normalise(guess.split(":")[0]) not in (codec, "utf-8" if codec == "utf-8-sig" else codec):
        if not (codec in ("gbk", "gb18030") and guess in ("gbk", "gb18030")) and not raw.isascii():
            notes.append(
                ("RD154", f"read as {declared} as declared, but the bytes look like {guess}; "
                 "check that Chinese text is not garbled")
            )  # fmt: skip
    return text, codec, notes
