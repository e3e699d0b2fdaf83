"""Office Open XML packages (.docx, .xlsx) with the same bytes on every run.

python-docx and openpyxl stamp zip entries and document properties with the time
of writing; a report re-run on unchanged inputs should give unchanged files, so
the zip entries are rewritten with a fixed time and in a fixed order.

Examples
--------
>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w") as z:
...     z.writestr("b.xml", "<b/>"); z.writestr("a.xml", "<a/>")
>>> out = normalise_package(buf.getvalue())
>>> zipfile.ZipFile(io.BytesIO(out)).infolist()[0].date_time
(1980, 1, 1, 0, 0, 0)
"""

from __future__ import annotations

import io
import re
import zipfile

__all__ = ["FIXED_TIME", "normalise_package"]

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def normalise_package(data: bytes) -> bytes:
    """Rewrite a zip package with fixed entry times and fixed document dates.

    ``[Content_Types].xml`` stays first, as Office expects; the other entries keep
    their order.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                blob = _STAMP.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", blob)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, blob)
    return out.getvalue()
