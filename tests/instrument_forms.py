"""Small XLSForm fixtures for the instrument tests, written as pyxform markdown tables.

Each form is short enough to read in the test that uses it. ``write_form`` saves one as
``.md``, ``.xlsx`` (pyxform's own markdown-to-workbook), ``.csv`` (pyxform's one-file
layout), or a split ``<x>_survey.csv`` + ``<x>_choices.csv``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from pyxform.xls2json_backends import md_table_to_workbook

#: Every question type of the issue and every column the Instrument carries.
ALL_TYPES = """
| survey |
| | type | name | label::中文 (zh) | label::English (en) | hint::中文 (zh) | hint::English (en) | required | relevant | constraint | constraint_message::中文 (zh) | constraint_message::English (en) | calculation | choice_filter | appearance | default | repeat_count | parameters | pii | missing_codes | role |
| | start | start |
| | end | end |
| | today | today |
| | deviceid | deviceid |
| | username | username |
| | audit | audit |
| | integer | hh_size | 家庭人口 | Household size | 包括户主 | Include the head | yes | | (. >= 1 and . <= 30) or . = 98 or . = 99 | 请填1到30 | Enter 1 to 30 | | | | 4 | | | | 98=不知道;99=拒答 | |
| | decimal | income | 年收入（万元） | Yearly income | | | | | . >= 0 | 不能为负 | Cannot be negative |
| | text | head_name | 户主姓名 | Name of the head | | | | | | | | | | | | | | yes |
| | select_one county | county | 所在县 | County | | | yes | | | | | | | | | | | | | strata |
| | select_one township | township | 所在乡镇 | Township | | | | | | | | | county = ${county} |
| | select_multiple crop or_other | crops | 种了哪些作物 | Crops grown | | | | | | | | | | minimal |
| | select_one_from_file villages.csv | village | 所在村 | Village |
| | date | visit_date | 调查日期 | Date | | | | | | | | | | | 2024-06-01 |
| | datetime | visit_time | 开始时间 | Start time |
| | time | meal_time | 吃饭时间 | Meal time |
| | geopoint | gps | 位置 | Location |
| | note | intro | 下面问家庭成员 | Now the household members |
| | calculate | weight | | | | | | | | | | ${income} * 2 | | | | | | | | weight |
| | acknowledge | ok | 已读 | Read |
| | range | score | 打分 | Score | | | | | | | | | | | | | start=0 end=10 step=1 |
| | rank crop | priorities | 作物排序 | Rank the crops |
| | begin group | grp_roster | 家庭成员 | Members | | | | ${hh_size} > 1 |
| | begin repeat | members | 成员 | Member | | | | | | | | | | field-list | | ${hh_size} |
| | text | m_name | 姓名 | Name | | | | | | | | | | | | | | yes |
| | integer | m_age | 年龄 | Age | | | | | . >= 0 and . <= 110 | 0到110 | 0 to 110 |
| | end repeat | |
| | end group | |
| choices |
| | list_name | name | label::中文 (zh) | label::English (en) | county |
| | county | 1 | 东川县 | Dongchuan | |
| | county | 2 | 南坪县 | Nanping | |
| | township | 11 | 城关镇 | Chengguan | 1 |
| | township | 21 | 河口乡 | Hekou | 2 |
| | crop | rice | 水稻 | Rice | |
| | crop | maize | 玉米 | Maize | |
| settings |
| | form_title | form_id | version | default_language |
| | 全类型测试 | all_types | 2024.1 | 中文 (zh) |
"""

#: A form with the skip patterns the paper questionnaire prints.
SKIPS = """
| survey |
| | type | name | label::中文 (zh) | label::English (en) | relevant | constraint | missing_codes | appearance |
| | select_one yn | has_tv | 家里有电视吗？ | Does the household have a TV? | | | | |
| | integer | n_tv | 有几台电视？ | How many TVs? | ${has_tv} = '1' | (. >= 1 and . <= 10) or . = 98 | 98=不知道 | |
| | select_one channel | channel | 最常看哪个频道？ | Favourite channel? | ${has_tv} = '1' | | | |
| | select_one yn | consent | 同意接受访问吗？ | Do you agree to the interview? | | | | |
| | select_one why | refusal | 拒绝原因 | Reason for refusal | ${consent} = '2' | | | |
| | begin group | main | 一、基本情况 | A. Basics | ${consent} = '1' | | | |
| | integer | hh_size | 家里有几口人？ | Household size | | . >= 1 and . <= 30 | | |
| | begin repeat | members | 家庭成员 | Household member | | | | |
| | text | m_name | 姓名 | Name | | | | |
| | select_one sex | m_sex | 性别 | Sex | | | | |
| | integer | m_age | 年龄 | Age | | . >= 0 and . <= 110 | 98=不知道;99=拒答 | |
| | end repeat | | | | | | | |
| | select_one agree | att_1 | 村里活动多 | Many activities | | | | likert |
| | select_one agree | att_2 | 干部常来 | Cadres visit | | | | likert |
| | text | comments | 其他意见 | Other comments | | | | multiline |
| | end group | | | | | | | |
| | text | enumerator_note | 调查员备注 | Enumerator's note | | | | |
| choices |
| | list_name | name | label::中文 (zh) | label::English (en) |
| | yn | 1 | 是 | Yes |
| | yn | 2 | 否 | No |
| | channel | 1 | 中央台 | CCTV |
| | channel | 2 | 省台 | Provincial |
| | why | 1 | 没时间 | No time |
| | why | 2 | 不感兴趣 | Not interested |
| | sex | 1 | 男 | Male |
| | sex | 2 | 女 | Female |
| | agree | 1 | 不同意 | Disagree |
| | agree | 2 | 一般 | Neutral |
| | agree | 3 | 同意 | Agree |
| settings |
| | form_title | form_id | version |
| | 跳答测试问卷 | skips | 1 |
"""


def _sheets(md: str) -> dict[str, list[list[str]]]:
    """Sheet name -> rows (header first), read by pyxform's own markdown reader."""
    buffer = io.BytesIO()
    md_table_to_workbook(md).save(buffer)
    workbook = openpyxl.load_workbook(buffer)
    sheets = {}
    for sheet in workbook.worksheets:
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(["" if v is None else str(v) for v in row])
        sheets[sheet.title] = rows
    return sheets


def write_form(folder: Path, name: str, md: str, kind: str = "md", encoding: str = "utf-8") -> Path:
    """Save the markdown form ``md`` as ``kind``: md, xlsx, csv or split (returns the form file)."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "md":
        path = folder / f"{name}.md"
        path.write_text(md, encoding=encoding)
        return path
    if kind == "xlsx":
        path = folder / f"{name}.xlsx"
        md_table_to_workbook(md).save(path)
        return path
    sheets = _sheets(md)
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for sheet, rows in sheets.items():
            writer.writerow([sheet])
            for row in rows:
                writer.writerow(["", *row])
        path = folder / f"{name}.csv"
        path.write_bytes(out.getvalue().encode(encoding))
        return path
    if kind == "split":
        for sheet, rows in sheets.items():
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            (folder / f"{name}_{sheet}.csv").write_bytes(out.getvalue().encode(encoding))
        return folder / f"{name}_survey.csv"
    raise ValueError(kind)
