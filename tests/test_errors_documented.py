"""Every error code the toolkit can raise is documented in ``docs/errors/``.

The codes are found by scanning the source of ``analysis/`` (every string literal that
looks like a code), so a new code in any module is caught, whichever package holds it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"""["'`\[]([A-Z]{2,3}\d{3})\b""")


def codes_in_source() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((ROOT / "analysis").rglob("*.py")):
        for match in CODE.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), path.relative_to(ROOT))
    return found


def documented_codes() -> set[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "errors").glob("*.md"))
    return set(re.findall(r"\b([A-Z]{2,3}\d{3})\b", text))


def test_the_scan_finds_codes_of_every_package():
    prefixes = {code[:-3] for code in codes_in_source()}
    assert {"INS", "EXP", "RD", "VAL", "COR", "WRT", "DES", "EST", "REP", "STU", "ENT"} <= prefixes


def test_every_error_code_in_the_source_is_documented():
    missing = {
        code: str(path)
        for code, path in codes_in_source().items()
        if code not in documented_codes()
    }
    assert not missing, f"undocumented error codes (add them to docs/errors/): {missing}"
