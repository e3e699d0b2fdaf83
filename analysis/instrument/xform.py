"""XForm XML for ODK Collect, KoboToolbox and Enketo, made by pyxform.

The conversion is pyxform's own (:func:`pyxform.xls2xform.convert`); the toolkit only
reads the form through :func:`~analysis.instrument.load.load_instrument` first (so every
mistake gets a coded, located error), writes the XML, and writes ``itemsets.csv`` beside
it when the form has external choices. ODK Validate (Java) is not run.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> form = folder / "mini.md"
>>> _ = form.write_text('''
... | survey |
... |        | type    | name | label::中文 (zh) | label::English (en) |
... |        | integer | age  | 年龄             | Age                 |
... ''', encoding="utf-8")
>>> xml = to_xform(form)
>>> "<h:title>mini</h:title>" in xml, 'lang="中文 (zh)"' in xml
(True, True)
>>> write_xform(form, folder / "out" / "mini.xml").name
'mini.xml'
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

from ..errors import InstrumentError
from .form_errors import from_pyxform
from .load import load_instrument
from .model import Instrument
from .sources import read_form, remap_error

__all__ = ["to_xform", "write_xform"]


@dataclasses.dataclass(frozen=True)
class _Result:
    xml: str
    itemsets: str | None
    warnings: tuple[str, ...]


def _conversion_error(exc: Exception, path: Path | None, rowmap=None) -> InstrumentError:
    if isinstance(exc, PyXFormError):
        err = from_pyxform(exc, path or "(form)")
        if err.code == "INS010":
            data = err.to_dict()
            data.pop("code")
            message = data.pop("message").replace(
                "pyxform rejected the form", "XForm conversion failed", 1
            )
            err = InstrumentError("INS030", message, **data)
        return remap_error(err, rowmap or {})
    return InstrumentError(
        "INS030",
        f"XForm conversion failed ({type(exc).__name__}: {exc})",
        file=path,
        hint="Check the expressions and types of the form; run `baicun instrument check` for details.",
    )


def _convert(form: str | Path | Instrument) -> _Result:
    if isinstance(form, Instrument):
        try:
            survey = create_survey_element_from_dict(copy.deepcopy(dict(form.pyxform_json)))
            warnings: list[str] = []
            xml = survey.to_xml(validate=False, pretty_print=True, warnings=warnings)
        except Exception as exc:
            raise _conversion_error(exc, form.path) from None
        return _Result(xml, None, tuple(warnings))
    path = Path(form)
    load_instrument(path)  # coded, located errors for every mistake the loader knows
    book, rowmap = read_form(path)
    warnings = []
    try:
        result = convert(
            xlsform={f.name: getattr(book, f.name) for f in dataclasses.fields(book)},
            warnings=warnings,
            pretty_print=True,
            form_name="data",
        )
    except Exception as exc:
        raise _conversion_error(exc, path, rowmap) from None
    return _Result(result.xform, result.itemsets, tuple(warnings))


def to_xform(form: str | Path | Instrument) -> str:
    """The XForm XML of a form (a path to an XLSForm, or a loaded Instrument).

    Raises
    ------
    InstrumentError
        The loader's coded errors, or ``INS030`` when pyxform cannot convert the form.
    """
    return _convert(form).xml


def write_xform(form: str | Path | Instrument, out: str | Path | None = None) -> Path:
    """Write the XForm of ``form`` to ``out`` (default: beside the form, ``<name>.xml``).

    When the form has external choices, pyxform's ``itemsets.csv`` is written beside
    the XML (ODK needs both files).

    Returns
    -------
    Path
        The XML file written.
    """
    source = form.path if isinstance(form, Instrument) else Path(form)
    if out is None:
        if source is None:
            raise InstrumentError(
                "INS031",
                "no output file given for a form that has no file",
                hint="Pass --out FILE.xml.",
            )
        out = Path(source).with_suffix(".xml")
    out = Path(out)
    result = _convert(form)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.xml, encoding="utf-8")
        if result.itemsets:
            (out.parent / "itemsets.csv").write_text(result.itemsets, encoding="utf-8")
    except OSError as exc:
        raise InstrumentError(
            "INS031",
            f"cannot write the XForm: {exc.strerror or exc}",
            file=out,
            hint="Check the folder exists and is writable, and that the file is not open in another program.",
        ) from None
    return out
