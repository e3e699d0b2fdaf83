"""All tables of one instrument in every output format, PII handled first.

``write_tables(data, folder, "household")`` writes the main table as
``household.parquet``, ``household.sav``, ``household.dta`` and each repeat as
``household-<repeat>.<ext>``, in ``folder`` (a study's ``data/processed/<wave>/``).

Examples
--------
>>> import tempfile, pathlib
>>> from analysis.readers import read_raw
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "hh.csv").write_text("village,size\\n红星,4\\n", encoding="utf-8")
>>> receipt = write_tables(read_raw(folder / "hh.csv"), folder / "out", "household")
>>> sorted(p.name for p in receipt.paths())
['household.dta', 'household.parquet', 'household.sav']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import WriteError
from ..instrument.model import Instrument
from ..readers.rawdata import MAIN, RawData
from .parquet import write_parquet
from .pii import pii_columns, protect_pii
from .receipt import WriteReceipt
from .spss_stata import write_dta, write_sav

__all__ = ["OUTPUT_FORMATS", "table_file", "write_tables"]

OUTPUT_FORMATS = ("parquet", "sav", "dta")


def table_file(folder: Path | str, name: str, table: str, fmt: str) -> Path:
    """The path of one table's file: ``<name>.<fmt>`` or ``<name>-<repeat>.<fmt>``.

    Examples
    --------
    >>> table_file("out", "household", "member", "sav").as_posix()
    'out/household-member.sav'
    """
    stem = name if table == MAIN else f"{name}-{table}"
    return Path(folder) / f"{stem}.{fmt}"


def write_tables(
    data: RawData,
    folder: Path | str,
    name: str,
    *,
    formats: Iterable[str] = OUTPUT_FORMATS,
    instrument: Instrument | None = None,
    lang: str = "zh",
    pii: str = "drop",
    salt: str | None = None,
) -> WriteReceipt:
    """Write every table of ``data`` in ``formats`` (PII questions of ``instrument`` dropped by default).

    Raises
    ------
    WriteError
        ``WRT006`` unknown format; the errors of the individual writers.
    """
    formats = tuple(formats)
    unknown = [f for f in formats if f not in OUTPUT_FORMATS]
    if unknown:
        raise WriteError("WRT006", f"unknown output format(s): {', '.join(unknown)}", expected=", ".join(OUTPUT_FORMATS),
                         found=", ".join(unknown), hint="Use parquet, sav and/or dta.")  # fmt: skip
    receipt = WriteReceipt()
    label = data.metadata.instrument or name
    for table, frame in data.tables.items():
        if instrument is not None and pii != "keep":
            columns = pii_columns(instrument, data.metadata, table)
            frame, notes = protect_pii(frame, columns, action=pii, salt=salt, table=table)
            receipt = receipt + WriteReceipt(notes=notes)
        for fmt in formats:
            path = table_file(folder, name, table, fmt)
            if fmt == "parquet":
                receipt = receipt + write_parquet(
                    frame, path, metadata=data.metadata, table=table, lang=lang
                )
            elif fmt == "sav":
                receipt = receipt + write_sav(
                    frame, path, metadata=data.metadata, table=table, lang=lang, file_label=label
                )
            else:
                receipt = receipt + write_dta(
                    frame, path, metadata=data.metadata, table=table, lang=lang, file_label=label
                )
    return receipt
