"""The fixed geography of the synthetic province: 12 counties and their townships.

The counties and townships do not depend on the seed, so the instruments' ``county``
and ``township`` choice lists stay valid whatever seed the demo is generated with.
The first three counties and their first three townships are the ones the demo
instruments already list; :func:`choice_rows` prints the rows the instruments need
for all twelve.

Examples
--------
>>> len(COUNTIES), len(townships())
(12, 119)
>>> townships().query("county == '11'")["township_name"].head(3).tolist()
['城关镇', '河口乡', '石门乡']
>>> choice_rows().splitlines()[0]
'| | county | 11 | 东川县 | Dongchuan County |  |'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["COUNTIES", "County", "choice_rows", "counties", "townships"]


@dataclass(frozen=True)
class County:
    """One county: code, names, its mix of village types and its ethnic make-up."""

    code: str
    name: str
    name_en: str
    #: Shares of farming (农区), pastoral (牧区) and mixed (半农半牧) villages.
    types: tuple[float, float, float]
    #: Minority groups (ethnicity codes) with their share of the population.
    minorities: tuple[tuple[str, float], ...]
    #: Centre of the county seat (latitude, longitude).
    centre: tuple[float, float]
    #: Township names after the county seat's town (城关镇 or the county's own 镇).
    township_names: tuple[str, ...]


COUNTIES: tuple[County, ...] = (
    County(
        "11",
        "东川县",
        "Dongchuan",
        (0.70, 0.10, 0.20),
        (("3", 0.20), ("5", 0.10)),
        (36.55, 101.80),
        (
            "城关镇",
            "河口乡",
            "石门乡",
            "柳树乡",
            "杨庄乡",
            "青石乡",
            "沙沟乡",
            "泉水乡",
            "前进乡",
            "双树乡",
        ),
    ),
    County(
        "12",
        "南坪县",
        "Nanping",
        (0.50, 0.20, 0.30),
        (("2", 0.40),),
        (35.95, 102.40),
        (
            "南坪镇",
            "草滩乡",
            "松林乡",
            "白杨乡",
            "东坡乡",
            "南岔乡",
            "高岭乡",
            "湾里乡",
            "新源乡",
            "和平乡",
        ),
    ),
    County(
        "13",
        "北原县",
        "Beiyuan",
        (0.10, 0.60, 0.30),
        (("4", 0.50), ("2", 0.20)),
        (37.70, 100.30),
        ("北原镇", "红山乡", "牧场乡", "哈拉乡", "察汗乡", "金滩乡", "塔尔乡", "马营乡", "尕海乡"),
    ),
    County(
        "14",
        "青岭县",
        "Qingling",
        (0.60, 0.10, 0.30),
        (("3", 0.30),),
        (36.20, 102.90),
        (
            "青岭镇",
            "黄河乡",
            "西沟乡",
            "北山乡",
            "三岔乡",
            "五道乡",
            "团结乡",
            "光明乡",
            "胜利乡",
            "古城乡",
            "峡口乡",
        ),
    ),
    County(
        "15",
        "雪峰县",
        "Xuefeng",
        (0.05, 0.75, 0.20),
        (("2", 0.85),),
        (34.80, 99.60),
        ("雪峰镇", "多拉乡", "曲玛乡", "扎陵乡", "索加乡", "巴颜乡", "当曲乡", "莫云乡"),
    ),
    County(
        "16",
        "河谷县",
        "Hegu",
        (0.80, 0.05, 0.15),
        (("6", 0.25), ("3", 0.15)),
        (35.85, 102.95),
        (
            "河谷镇",
            "白庄乡",
            "街子乡",
            "查汗乡",
            "道帏乡",
            "清水乡",
            "文都乡",
            "岗察乡",
            "孟达乡",
            "积石乡",
            "尕楞乡",
            "甘都乡",
        ),
    ),
    County(
        "17",
        "柳湾县",
        "Liuwan",
        (0.60, 0.10, 0.30),
        (("5", 0.30), ("2", 0.10)),
        (36.50, 102.35),
        (
            "柳湾镇",
            "丹麻乡",
            "五十乡",
            "东沟乡",
            "松多乡",
            "红崖乡",
            "林川乡",
            "台子乡",
            "加定乡",
            "巴扎乡",
        ),
    ),
    County(
        "18",
        "湖滨县",
        "Hubin",
        (0.20, 0.30, 0.50),
        (("2", 0.50), ("4", 0.10)),
        (36.90, 100.10),
        (
            "湖滨镇",
            "江西沟乡",
            "黑马河乡",
            "石乃亥乡",
            "倒淌河乡",
            "塘格木乡",
            "沙珠玉乡",
            "铁卜加乡",
            "切吉乡",
        ),
    ),
    County(
        "19",
        "松岗县",
        "Songgang",
        (0.50, 0.10, 0.40),
        (("2", 0.30),),
        (35.60, 101.70),
        (
            "松岗镇",
            "河阴乡",
            "拉西乡",
            "常牧乡",
            "河东乡",
            "尕让乡",
            "新街乡",
            "贵德乡",
            "罗汉堂乡",
            "东山乡",
            "阿什贡乡",
        ),
    ),
    County(
        "20",
        "黄沙县",
        "Huangsha",
        (0.20, 0.50, 0.30),
        (("4", 0.40),),
        (37.30, 98.40),
        (
            "黄沙镇",
            "柯鲁柯乡",
            "希里沟乡",
            "赛什克乡",
            "宗务隆乡",
            "怀头他拉乡",
            "泽林沟乡",
            "戈壁乡",
        ),
    ),
    County(
        "21",
        "长滩县",
        "Changtan",
        (0.70, 0.05, 0.25),
        (("3", 0.40),),
        (36.75, 102.60),
        (
            "长滩镇",
            "巴燕乡",
            "甘沟乡",
            "群科乡",
            "牙什尕乡",
            "扎巴乡",
            "二塘乡",
            "查甫乡",
            "初麻乡",
            "德恒隆乡",
            "昂思多乡",
            "阿岱乡",
        ),
    ),
    County(
        "22",
        "马场县",
        "Machang",
        (0.05, 0.80, 0.15),
        (("2", 0.90),),
        (34.30, 100.90),
        (
            "马场镇",
            "优干宁乡",
            "宁木特乡",
            "多松乡",
            "赛尔龙乡",
            "柯生乡",
            "智后茂乡",
            "麦秀乡",
            "和日乡",
        ),
    ),
)


def counties() -> pd.DataFrame:
    """The counties as a table (county, county_name, county_name_en, lat, lon).

    Examples
    --------
    >>> counties()["county"].tolist()[:3]
    ['11', '12', '13']
    """
    return pd.DataFrame(
        {
            "county": [c.code for c in COUNTIES],
            "county_name": [c.name for c in COUNTIES],
            "county_name_en": [f"{c.name_en} County" for c in COUNTIES],
            "lat": [c.centre[0] for c in COUNTIES],
            "lon": [c.centre[1] for c in COUNTIES],
        }
    )


def townships() -> pd.DataFrame:
    """Every township: 4-digit code (county code + 2 digits), county, names in zh and en.

    Examples
    --------
    >>> townships().iloc[0].to_dict()
    {'township': '1101', 'county': '11', 'township_name': '城关镇', 'township_name_en': 'Chengguan Town'}
    >>> townships().iloc[3]["township_name_en"]
    'Township 1104'
    """
    rows = []
    for c in COUNTIES:
        for i, name in enumerate(c.township_names, start=1):
            rows.append(
                {
                    "township": f"{c.code}{i:02d}",
                    "county": c.code,
                    "township_name": name,
                    "township_name_en": _TOWNSHIP_EN.get(
                        f"{c.code}{i:02d}", f"Township {c.code}{i:02d}"
                    ),
                }
            )
    return pd.DataFrame(rows)


#: English names of the townships the instruments already list.
_TOWNSHIP_EN = {
    "1101": "Chengguan Town",
    "1102": "Hekou Township",
    "1103": "Shimen Township",
    "1201": "Nanping Town",
    "1202": "Caotan Township",
    "1203": "Songlin Township",
    "1301": "Beiyuan Town",
    "1302": "Hongshan Township",
    "1303": "Muchang Township",
}


def choice_rows() -> str:
    """The ``county`` and ``township`` rows of an instrument's choices table (markdown).

    Paste them over the existing county/township rows of ``surveys/*.md`` so that every
    code the demo data uses is a valid choice.
    """
    lines = [
        f"| | county | {r.county} | {r.county_name} | {r.county_name_en} |  |"
        for r in counties().itertuples()
    ]
    lines += [
        f"| | township | {r.township} | {r.township_name} | {r.township_name_en} | {r.county} |"
        for r in townships().itertuples()
    ]
    return "\n".join(lines)
