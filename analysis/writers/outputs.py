"""Output files: written whole or not at all, hashed, with fixed header timestamps.

A writer writes to a temporary file in the target folder, then renames it over the
target, so a failure never leaves half a file behind. SPSS and Stata headers carry
the time of writing; :func:`neutralise_timestamp` replaces it with a fixed time so
that two runs on the same data give byte-identical files.

Examples
--------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "out" / "a.txt"
>>> atomic_write(target, lambda tmp: tmp.write_text("数据", encoding="utf-8"))
>>> target.read_text(encoding="utf-8"), sha256_of(target)[:12]
('数据', '5440f7424f28')
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import WriteError

__all__ = [
    "FIXED_DTA_TIMESTAMP",
    "FIXED_SAV_TIMESTAMP",
    "atomic_write",
    "neutralise_timestamp",
    "sha256_of",
]

#: The creation date and time written in every .sav header (``dd Mon yy`` + ``hh:mm:ss``).
FIXED_SAV_TIMESTAMP = (b"01 Jan 70", b"00:00:00")
#: The timestamp written in every .dta header (``dd Mon yyyy hh:mm``).
FIXED_DTA_TIMESTAMP = b"01 Jan 1970 00:00"
_SAV_DATE_AT = (
    4 + 60 + 4 + 4 + 4 + 4 + 4 + 8
)  # rec_type, product, layout, case size, compression, weight, ncases, bias


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    sha = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def neutralise_timestamp(path: Path, kind: str) -> None:
    """Replace the writing time in a .sav/.zsav (``kind="sav"``) or .dta header by a fixed one."""
    data = bytearray(Path(path).read_bytes())
    if kind == "sav":
        if data[:4] not in (b"$FL2", b"$FL3"):
            return
        date, time = FIXED_SAV_TIMESTAMP
        data[_SAV_DATE_AT : _SAV_DATE_AT + 9] = date
        data[_SAV_DATE_AT + 9 : _SAV_DATE_AT + 17] = time
    elif kind == "dta":
        at = data.find(b"<timestamp>")
        if at < 0:
            return
        size = data[at + len(b"<timestamp>")]
        start = at + len(b"<timestamp>") + 1
        if size == len(FIXED_DTA_TIMESTAMP):
            data[start : start + size] = FIXED_DTA_TIMESTAMP
    Path(path).write_bytes(bytes(data))


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it to ``path``.

    Raises
    ------
    WriteError
        ``WRT001`` when the folder cannot be created or written to.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent
        )
        os.close(handle)
    except OSError as exc:
        raise WriteError(
            "WRT001",
            f"cannot write in the output folder ({exc.strerror or exc})",
            file=path,
            hint="Check the folder exists and is writable (and that the disk is not full).",
        ) from None
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(
            "WRT001",
            f"cannot write the file ({exc.strerror or exc})",
            file=path,
            hint="Close the file if it is open in another program (Excel, SPSS, Stata) and check the folder is writable.",
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
