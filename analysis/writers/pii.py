"""Personally identifying answers: dropped, or replaced by a salted hash, before writing.

Questions marked ``pii = yes`` in the form (names, phone numbers, ID numbers,
coordinates of homes) must not leave the team in clear. :func:`protect_pii` either
drops their columns or *pseudonymises* them: each value becomes the first 16 hex
digits of HMAC-SHA256(salt, value), so the same person gets the same code in every
table and wave of the study (records can still be linked) while the name cannot be
read back without the salt. The salt comes from the study (``[pii] salt`` in
``study.toml``) and must be kept out of reports.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"name": ["张三", None], "age": [40, 41]})
>>> out, notes = protect_pii(frame, ["name"], action="pseudonymise", salt="s3cret")
>>> out["name"].tolist()[0] == pseudonym("张三", "s3cret"), out["name"].isna().tolist()
(True, [False, True])
>>> list(protect_pii(frame, ["name"])[0].columns)
['age']
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import pandas as pd

from ..errors import WriteError
from ..instrument.model import Instrument
from ..readers.rawdata import MAIN, RawMetadata
from .receipt import Notes

__all__ = ["PII_ACTIONS", "pii_columns", "protect_pii", "pseudonym"]

PII_ACTIONS = ("drop", "pseudonymise", "keep")


def pseudonym(value: object, salt: str) -> str:
    """The salted pseudonym of one value (16 hex digits)."""
    return hmac.new(salt.encode("utf-8"), str(value).encode("utf-8"), hashlib.sha256).hexdigest()[
        :16
    ]


def pii_columns(instrument: Instrument, metadata: RawMetadata, table: str = MAIN) -> list[str]:
    """Columns of ``table`` holding answers to PII questions (with their 0/1 and geopoint parts)."""
    wanted = {q.name for q in instrument.pii_questions if (q.repeat or MAIN) == table}
    return [
        name
        for name, info in metadata.column_info(table).items()
        if info.question in wanted and info.kind in ("question", "choice", "geopoint_part")
    ]


def protect_pii(
    frame: pd.DataFrame,
    columns: Iterable[str],
    *,
    action: str = "drop",
    salt: str | None = None,
    table: str = MAIN,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` with the PII ``columns`` dropped or pseudonymised; and the notes.

    Raises
    ------
    WriteError
        ``WRT003`` pseudonymising without a salt, ``WRT004`` unknown ``action`` or a
        column that is not in the frame.
    """
    columns = list(columns)
    notes = Notes()
    if action not in PII_ACTIONS:
        raise WriteError("WRT004", f"unknown PII action {action!r}", expected=", ".join(PII_ACTIONS), found=action,
                         hint="Use action='drop' or action='pseudonymise'.")  # fmt: skip
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise WriteError("WRT004", f"PII column(s) not in the table: {', '.join(absent)}", expected=", ".join(map(str, frame.columns[:10])),
                         found=", ".join(absent), hint="Pass column names of this table (see pii_columns()).")  # fmt: skip
    if action == "keep" or not columns:
        return frame, notes.frame()
    if action == "drop":
        for c in columns:
            notes.add("WRT108", "PII column dropped", table=table, column=c)
        return frame.drop(columns=columns), notes.frame()
    if not salt:
        raise WriteError(
            "WRT003",
            "pseudonymising PII needs a salt",
            expected="a secret text, e.g. [pii] salt in study.toml",
            found=repr(salt),
            hint="Set [pii] salt = \"...\" in study.toml and pass it as salt=..., or use action='drop'.",
        )
    out = frame.copy()
    for c in columns:
        values = out[c]
        out[c] = pd.Series(
            [None if pd.isna(v) else pseudonym(v, salt) for v in values],
            index=values.index,
            dtype="str",
        )
        notes.add(
            "WRT109",
            "PII column pseudonymised (HMAC-SHA256 with the study salt, 16 hex digits)",
            table=table,
            column=c,
        )
    return out, notes.frame()
