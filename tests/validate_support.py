"""Helpers for the validation and corrections tests: inline markdown forms, small RawData.

A form is written as pyxform's markdown tables (read through ``load_instrument``), and
data as a list of dicts; ``raw`` adds the reserved columns a reader would.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from analysis.instrument import load_instrument
from analysis.readers import RawData, RawMetadata

_counter = itertools.count()

#: A small household form with every feature the checks look at.
HOUSEHOLD = """
| survey |
| | type | name | label::中文 (zh) | label::English (en) | required | relevant | constraint | constraint_message::中文 (zh) | constraint_message::English (en) | calculation | choice_filter | role | missing_codes | pii |
| | start | start |
| | end | end |
| | integer | enumerator | 调查员 | Enumerator | yes | | | | | | | enumerator |
| | text | hh_id | 户编号 | Household id | yes | | | | | | | id |
| | select_one county | county | 县 | County | yes |
| | select_one township | township | 乡镇 | Township | yes | | | | | | county = ${county} |
| | integer | age | 年龄 | Age | yes | | (. >= 16 and . <= 110) or . = 98 or . = 99 | 年龄应在16到110岁之间 | Age must be 16 to 110 | | | | 98=不知道;99=拒答 |
| | decimal | income | 收入 | Income | | | . >= 0 | | | | | | 998=不知道 |
| | select_one yn | has_tv | 有电视吗 | Has TV? | yes |
| | integer | n_tv | 几台电视 | How many TVs? | yes | ${has_tv} = '1' |
| | select_multiple crop or_other | crops | 作物 | Crops |
| | calculate | double_age | | | | | | | | ${age} * 2 |
| | date | visit_date | 调查日期 | Visit date |
| | text | phone | 电话 | Phone | | | | | | | | | | yes |
| | text | notes | 备注 | Notes |
| choices |
| | list_name | name | label::中文 (zh) | label::English (en) | county |
| | yn | 1 | 是 | Yes | |
| | yn | 2 | 否 | No | |
| | county | 11 | 东川县 | Dongchuan | |
| | county | 12 | 南坪县 | Nanping | |
| | township | 1101 | 城关镇 | Chengguan | 11 |
| | township | 1201 | 南坪镇 | Nanping | 12 |
| | crop | rice | 水稻 | Rice | |
| | crop | maize | 玉米 | Maize | |
| settings |
| | form_title | form_id | version | default_language |
| | 测试户问卷 | test_household | 1 | 中文 (zh) |
"""


def form(folder: Path, md: str = HOUSEHOLD, name: str | None = None):
    """Load the markdown form ``md`` (saved in ``folder``) as an Instrument."""
    path = Path(folder) / f"{name or 'form'}_{next(_counter)}.md"
    path.write_text(md, encoding="utf-8")
    return load_instrument(path)


def good_household(i: int = 0, **changes) -> dict:
    """One household record that passes every rule of HOUSEHOLD (values as a reader types them)."""
    start = pd.Timestamp("2024-07-01 09:00") + pd.Timedelta(days=i % 3, minutes=i)
    record = {
        "start": start,
        "end": start + pd.Timedelta(minutes=35 + i % 7),
        "enumerator": 101 + i % 2,
        "hh_id": f"H{i:03d}",
        "county": "11",
        "township": "1101",
        "age": 30 + i % 40,
        "income": 3.0 + (i % 9) * 0.5,
        "has_tv": "1" if i % 4 else "2",
        "n_tv": 1 + i % 2 if i % 4 else None,
        "crops": ["rice", "maize", "rice maize"][i % 3],
        "crops_other": None,
        "double_age": str((30 + i % 40) * 2),
        "visit_date": pd.Timestamp("2024-07-01") + pd.Timedelta(days=i % 3),
        "phone": "13800138000",
        "notes": ["", "家里有人外出打工", "无", "房子漏雨"][i % 4],
    }
    record.update(changes)
    return record


def frame(records: list[dict]) -> pd.DataFrame:
    """Records as a frame with the reader's reserved columns and types."""
    data = pd.DataFrame(records)
    data.insert(0, "_key", [f"uuid:{i:04d}" for i in range(len(data))])
    data.insert(1, "_source_row", range(2, len(data) + 2))
    for column in ("enumerator", "age", "n_tv"):
        if column in data and pd.api.types.is_numeric_dtype(data[column]):
            data[column] = data[column].astype("Int64")
    return data


def raw(
    records: list[dict] | pd.DataFrame, repeats: dict[str, pd.DataFrame] | None = None
) -> RawData:
    """A RawData as a reader without column metadata would return it."""
    data = records if isinstance(records, pd.DataFrame) else frame(records)
    return RawData(data, repeats or {}, RawMetadata(format="csv"))


def households(n: int = 30, **changes_by_index) -> RawData:
    """``n`` good households; ``changes_by_index={"i3": {...}}`` changes record 3."""
    records = []
    for i in range(n):
        records.append(good_household(i, **changes_by_index.get(f"i{i}", {})))
    return raw(records)


def issues_of(result, code: str | None = None, check: str | None = None) -> pd.DataFrame:
    """The issues of a validation result, filtered by code or check, with plain columns."""
    out = result.issues.astype(
        {c: "str" for c in ("table", "variable", "check", "code", "severity")}
    )
    if code is not None:
        out = out[out["code"] == code]
    if check is not None:
        out = out[out["check"] == check]
    return out.reset_index(drop=True)
