"""Every export and SPSS/Stata file of ../shared/realdata is read with no record lost.

Each file is read with its form where the folder gives one (see the SOURCE.md files),
and the records read from the file are compared with a count made independently
(pandas for CSV, openpyxl for XLSX, pyreadstat's header for .sav/.dta). A file that
cannot be read must give a coded ReadError, not a crash.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from analysis.errors import ReadError
from analysis.instrument import load_instrument
from analysis.readers import read_raw

pytestmark = pytest.mark.realdata

REALDATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata").resolve()

#: XLSForms that sit among the exports (forms, not data).
FORM_FILES = {
    "exports/onadata_childrens_survey/childrens_survey.xlsx",
    "exports/onadata_childrens_survey/childrens_survey_sw.xlsx",
    "exports/onadata_multiple_select/form_with_multiple_select.xlsx",
    "exports/onadata_nested_repeats/nested_repeats.xlsx",
    "exports/onadata_transportation/transportation.xlsx",
    "exports/onadata_tutorial_w_repeats/tutorial_w_repeats.xlsx",
}
#: Data file (prefix) -> its form, as SOURCE.md pairs them.
PAIRS = {
    "exports/onadata_childrens_survey/children": "exports/onadata_childrens_survey/childrens_survey.xlsx",
    "exports/onadata_childrens_survey/childrens_survey.": "exports/onadata_childrens_survey/childrens_survey.xlsx",
    "exports/onadata_childrens_survey/childrens_survey_sw.": "exports/onadata_childrens_survey/childrens_survey_sw.xlsx",
    "exports/onadata_multiple_select/csv_import_with_multiple_select": "exports/onadata_multiple_select/form_with_multiple_select.xlsx",
    "exports/onadata_nested_repeats/nested_repeats.csv": "exports/onadata_nested_repeats/nested_repeats.xlsx",
    "exports/onadata_transportation/transportation": "exports/onadata_transportation/transportation.xlsx",
    "exports/onadata_tutorial_w_repeats/": "exports/onadata_tutorial_w_repeats/tutorial_w_repeats.xlsx",
    "exports/reach_msna/cleaningtools_raw_data": "xlsform/reach_impact/cleaningtools_reach_kobo_tool.xlsx",
    "exports/reach_msna/cleaningtools_clean_data": "xlsform/reach_impact/cleaningtools_reach_kobo_tool.xlsx",
}
#: Files pyreadstat 1.3.7 rejects, and the code they must give.
REJECTED = {"spss_stata/haven/datetime.sav": "RD009"}


def _data_files() -> list[str]:
    if not REALDATA.is_dir():
        return []
    files = sorted(REALDATA.glob("exports/*/*.*")) + sorted(REALDATA.glob("spss_stata/*/*.*"))
    names = [p.relative_to(REALDATA).as_posix() for p in files]
    return [n for n in names if not n.endswith(".md") and n not in FORM_FILES]


@pytest.fixture(scope="module")
def realdata_root():
    if not REALDATA.is_dir():
        pytest.skip(
            "../shared/realdata is absent: real-world files are only on developer and CI machines"
        )
    return REALDATA


@lru_cache(maxsize=16)
def _form(relative: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_instrument(REALDATA / relative)


def _form_for(relative: str):
    for prefix, form in PAIRS.items():
        if relative.startswith(prefix):
            return _form(form)
    return None


def _count(path: Path) -> int:
    """Records in the file, counted without the toolkit."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for encoding in ("utf-8", "latin-1"):
            try:
                return len(pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding))
            except UnicodeDecodeError:
                continue
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
        total = 0
        for sheet in book.worksheets:
            rows = [
                r for r in sheet.iter_rows(values_only=True) if any(v not in (None, "") for v in r)
            ]
            total += max(len(rows) - 1, 0)
        return total
    reader = {
        ".sav": pyreadstat.read_sav,
        ".zsav": pyreadstat.read_sav,
        ".por": pyreadstat.read_por,
        ".dta": pyreadstat.read_dta,
    }[suffix]
    return len(reader(str(path))[0])


@pytest.mark.parametrize("relative", _data_files())
def test_real_file_read_with_no_record_lost(realdata_root, relative):
    path = realdata_root / relative
    form = _form_for(relative)
    if relative in REJECTED:
        with pytest.raises(ReadError) as err:
            read_raw(path, form)
        assert err.value.code == REJECTED[relative] and err.value.hint
        return
    raw = read_raw(path, form)
    own = sum(s.rows for s in raw.metadata.sources if s.unpacked_from is None)
    assert own == _count(path)
    for table, frame in raw.tables.items():
        assert raw.metadata.source_rows[table] == len(frame)
        assert frame["_key"].notna().all() and frame["_source_row"].notna().all()
    if form is not None:
        for q in form.data_questions:
            assert q.name in raw.table(q.repeat or "main").columns


def test_haven_datetime_sav_names_the_column(realdata_root):
    with pytest.raises(ReadError) as err:
        read_raw(realdata_root / "spss_stata/haven/datetime.sav")
    assert err.value.code == "RD009" and err.value.column == "date.posix"


def test_ona_flattened_nested_repeats_become_linked_tables(realdata_root):
    raw = read_raw(
        realdata_root / "exports/onadata_nested_repeats/nested_repeats.csv",
        _form("exports/onadata_nested_repeats/nested_repeats.xlsx"),
    )
    kids = raw.repeats["kids_details"]
    assert kids["kids_name"].tolist() == ["Hansel", "Gretel", "Tom", "Dick", "Harry"]
    shots = raw.repeats["kids_immunization"]
    assert set(shots["_parent_key"]) <= set(kids["_key"])
    assert len(shots) == 11
    assert raw.data["web_browsers"].tolist() == ["ie safari", "firefox chrome ie"]


def test_ona_repeat_file_alone_is_its_repeat_table(realdata_root):
    form = _form("exports/onadata_childrens_survey/childrens_survey.xlsx")
    raw = read_raw(realdata_root / "exports/onadata_childrens_survey/children.csv", form)
    children = raw.repeats["children"]
    assert children["name"].tolist() == ["Mike", "John", "Imora"]
    assert children["fav_colors_red"].tolist()[0] == 1 and children["_parent_index"].tolist() == [
        1,
        1,
        1,
    ]
    spss = read_raw(realdata_root / "exports/onadata_childrens_survey/children.sav", form)
    pd.testing.assert_series_equal(spss.repeats["children"]["fav_colors"], children["fav_colors"])


def test_ona_labels_only_export_maps_back_to_codes(realdata_root):
    form = _form("exports/onadata_transportation/transportation.xlsx")
    raw = read_raw(
        realdata_root / "exports/onadata_transportation/transportation_labels_only.csv", form
    )
    info = raw.metadata.column_info()
    dummies = [c for c, i in info.items() if i.kind == "choice"]
    assert len(dummies) == 10 and all(info[c].original for c in dummies)


def test_western_encoded_csv(realdata_root):
    raw = read_raw(realdata_root / "exports/onadata_multiple_select/non_utf8.csv")
    assert raw.metadata.encoding == "mac_roman" and "Hôpital" in set(raw.data["TYPE"])


def test_spss_labels_and_user_missing_kept(realdata_root):
    raw = read_raw(realdata_root / "spss_stata/pyreadstat/basic__sample_missing.sav")
    assert raw.metadata.user_missing()["mynum"] == ((2000.0, 3000.0), -1.0)
    assert raw.data["mynum"].tolist()[-1] == 2500.0  # a user-missing value, kept
    assert raw.metadata.value_labels()["mylabl"][1.0] == "Male"


def test_stata_tagged_missing_kept(realdata_root):
    raw = read_raw(realdata_root / "spss_stata/haven/tagged-na-double.dta")
    assert raw.data["x"].tolist()[5:] == ["a", "h", "z"]
    assert raw.metadata.user_missing()["x"] == ("a", "h", "z")
