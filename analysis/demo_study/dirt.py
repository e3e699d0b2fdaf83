"""Realistic dirt in the raw exports, every injected problem recorded.

:func:`inject` spoils a wave's clean tables the way fieldwork does and returns a list
of :class:`Problem` records (the truth file ``injected_problems.csv``):

=========================  ==================================================================
kind                       what
=========================  ==================================================================
duplicate_submission       the same interview sent twice (a new instance id, later received)
duplicate_key              two different interviews under one key (a mistyped ``hh_no``)
skip_violation             an answer where the question is not relevant, or a required
                           answer missing where it is
out_of_range               a value outside the question's constraint (extra digit, units)
constraint_violation       a cross-field rule broken (population < minority population, ...)
missing_code               a declared missing code (98/99, 998, ...): to be read as missing
missing_code_undeclared    a "don't know" typed as 99/999/9999 where it is not declared
unknown_choice_code        a code that is not in the choice list
short_interview            a full interview whose start and end are 3 minutes apart
pii_in_free_text           a phone or ID number typed into a free-text answer
roster_inconsistency       roster member 1 (the head) with another age than the head
empty_row                  a trailing row of empty cells (the Excel-saved CSV)
=========================  ==================================================================

Some problems come with a correction (:data:`Problem.action` = replace / drop /
confirm and a new value): those become rows of ``corrections.csv``; the others are
left for validation to flag.

Examples
--------
>>> import pandas as pd
>>> n = 8
>>> clean = {"cadre": pd.DataFrame({"cadre_id": [f"GZ2024-{i:03d}" for i in range(1, n + 1)],
...     "county": ["11"] * n, "score_democratic": ["85.5"] * n, "posting_mode": ["3", "2"] * (n // 2),
...     "posting_level": ["3", "1"] * (n // 2), "birth_year": ["1985"] * n, "sex": ["1"] * n,
...     "problems": [""] * n})}
>>> job = _Injector(clean, "demo-2024", np.random.default_rng(0))
>>> job.cadre(2024)
>>> [p.kind for p in job.problems if p.variable == "score_democratic"], len(job.t["cadre"])
(['out_of_range'], 9)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .answers import new_uuid, odk_datetime
from .texts import id_number, phone_number

__all__ = ["PROBLEM_COLUMNS", "Problem", "inject", "problems_frame"]

PROBLEM_COLUMNS = (
    "wave",
    "instrument",
    "key",
    "instance_id",
    "variable",
    "kind",
    "value_in_file",
    "true_value",
    "note",
    "action",
    "new_value",
    "reason",
    "target",
)


@dataclass(frozen=True)
class Problem:
    """One injected problem and, when the cleaning log fixes it, its correction."""

    wave: str
    instrument: str
    key: str
    instance_id: str
    variable: str
    kind: str
    value_in_file: str
    true_value: str
    note: str
    action: str = ""
    new_value: str = ""
    reason: str = ""
    #: The record the correction names when the key does not name it alone: an instance
    #: ID (two records under one key), a repeat row (``<key>/members[1]``), a source row.
    target: str = ""


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """The problems as a table with :data:`PROBLEM_COLUMNS`."""
    return pd.DataFrame([asdict(p) for p in problems], columns=list(PROBLEM_COLUMNS))


class _Injector:
    def __init__(
        self, tables: dict[str, pd.DataFrame], wave: str, rng: np.random.Generator
    ) -> None:
        self.t = {k: v.copy() for k, v in tables.items()}
        self.wave = wave
        self.rng = rng
        self.problems: list[Problem] = []
        self.used: set[tuple[str, int]] = set()

    # ------------------------------------------------------------------ helpers
    def key_of(self, instrument: str, idx: int) -> str:
        col = {"village": "village_id", "household": "hh_id", "cadre": "cadre_id"}[instrument]
        return str(self.t[instrument].at[idx, col])

    def instance_of(self, instrument: str, idx: int) -> str:
        df = self.t[instrument]
        return str(df.at[idx, "__instance_id"]) if "__instance_id" in df.columns else ""

    def pick(self, instrument: str, mask: pd.Series | None = None) -> int | None:
        df = self.t[instrument]
        ok = (
            pd.Series(True, index=df.index)
            if mask is None
            else mask.reindex(df.index, fill_value=False)
        )
        candidates = [i for i in df.index[ok] if (instrument, i) not in self.used]
        if not candidates:
            return None
        idx = int(candidates[int(self.rng.integers(len(candidates)))])
        self.used.add((instrument, idx))
        return idx

    def set(
        self, instrument: str, idx: int, variable: str, value: str, kind: str, note: str, **fix: str
    ) -> None:
        df = self.t[instrument]
        clean = str(df.at[idx, variable])
        df.at[idx, variable] = value
        self.problems.append(
            Problem(
                self.wave,
                instrument,
                self.key_of(instrument, idx),
                self.instance_of(instrument, idx),
                variable,
                kind,
                value,
                clean,
                note,
                **fix,
            )
        )

    def fault(
        self,
        instrument: str,
        mask: pd.Series | None,
        variable: str,
        wrong: str | Callable[[pd.Series], str],
        kind: str,
        note: str,
        reason: str = "",
        *,
        new_value: str | None = None,
    ) -> int | None:
        """Type ``wrong`` for ``variable`` in a record picked among ``mask``; its index.

        ``wrong`` may be a function of the picked record's clean row. With a ``reason``
        the cleaning log replaces the value by ``new_value`` (by default the clean value);
        without one the problem is left for validation to flag. ``None`` when no record
        is left to pick.
        """
        idx = self.pick(instrument, mask)
        if idx is None:
            return None
        df = self.t[instrument]
        value = wrong(df.loc[idx]) if callable(wrong) else wrong
        fix = {}
        if reason:
            clean = df.at[idx, variable] if new_value is None else new_value
            fix = {"action": "replace", "new_value": clean, "reason": reason}
        self.set(instrument, idx, variable, value, kind, note, **fix)
        return idx

    def consented(self) -> pd.Series:
        return self.t["household"]["consent"] == "1"

    # ------------------------------------------------------------------ duplicates
    def duplicate(
        self, instrument: str, *, changes: dict[str, str] | None = None, **fix: str
    ) -> None:
        df = self.t[instrument]
        mask = self.consented() if instrument == "household" else None
        idx = self.pick(instrument, mask)
        if idx is None:
            return
        row = df.loc[[idx]].copy()
        note = "同一份问卷重复上传（新的实例编号，较晚收到）"
        if "__instance_id" in row.columns:
            row["__instance_id"] = f"uuid:{new_uuid(self.rng)}"
            if "instanceID" in row.columns:
                row["instanceID"] = row["__instance_id"]
            received = dt.datetime.fromisoformat(
                str(row["__received"].iloc[0]).replace("Z", "+00:00")
            )
            later = received + dt.timedelta(hours=float(self.rng.uniform(2, 40)))
            row["__received"] = odk_datetime(later).replace("+00:00", "Z")
        if changes:
            for var, value in changes.items():
                row[var] = value
            note = "同一村重复提交，第二份改了" + "、".join(changes) + "（以后一份为准）"
        row["__seq"] = str(len(df) + len(self.problems))
        new_index = int(df.index.max()) + 1
        row.index = [new_index]
        self.t[instrument] = pd.concat([df, row])
        if instrument == "household" and "members" in self.t:
            members = self.t["members"]
            copy = members[members["__parent"] == df.at[idx, "__instance_id"]].copy()
            copy["__parent"] = row["__instance_id"].iloc[0]
            copy.index = range(
                int(members.index.max()) + 1, int(members.index.max()) + 1 + len(copy)
            )
            self.t["members"] = pd.concat([members, copy])
        # The correction (if any) drops the older of the two when content changed, else the copy.
        target = new_index if not changes else idx
        self.used.add((instrument, new_index))
        self.problems.append(
            Problem(
                self.wave,
                instrument,
                self.key_of(instrument, new_index),
                self.instance_of(instrument, target),
                "instanceID",
                "duplicate_submission",
                self.instance_of(instrument, target),
                "",
                note,
                **fix,
            )
        )

    # ------------------------------------------------------------------ spoilers
    def household(self, year: int) -> None:
        hh = self.t["household"]
        ok = self.consented()
        n_dup = 3 if year == 2024 else 2
        for i in range(n_dup):
            reason = (
                "重复上传，保留先收到的一份" if i < n_dup - 1 else "两份内容相同，删除后收到的一份"
            )
            self.duplicate("household", action="drop", reason=reason)

        if year == 2024:
            # Two households under one hh_id: hh_no 21 typed as 12.
            idx = self.pick("household", ok & (hh["hh_no"] == "21"))
            if idx is not None:
                wrong = "12"
                fix = {
                    "action": "replace",
                    "reason": "核对抽样名单：样本户序号应为21",
                    "target": self.instance_of("household", idx),
                }
                self.set(
                    "household",
                    idx,
                    "hh_no",
                    wrong,
                    "duplicate_key",
                    "样本户序号21误录为12，与另一户编号重复",
                    new_value="21",
                    **fix,
                )
                true_id = hh.at[idx, "hh_id"]
                self.set(
                    "household",
                    idx,
                    "hh_id",
                    hh.at[idx, "village_id"] + wrong,
                    "duplicate_key",
                    "户编号随样本户序号一起错",
                    new_value=true_id,
                    **fix,
                )

        self.fault(
            "household",
            ok & (hh["visited_library"] == "2"),
            "library_visits",
            "3",
            "skip_violation",
            "没去过书屋却填了次数",
            "跳问错误：未去过书屋，次数应为空",
            new_value="",
        )
        self.fault(
            "household",
            ok & (hh["watched_film"] == "2"),
            "film_times",
            "2",
            "skip_violation",
            "没看过电影却填了场次",
            "跳问错误：未看过电影，场次应为空",
            new_value="",
        )
        self.fault(
            "household",
            ok & (hh["attended_lecture"] == "1"),
            "lecture_times",
            "",
            "skip_violation",
            "听过宣讲但次数漏填（必答题为空）",
            "电话回访补填宣讲次数",
        )

        idx = self.fault(
            "household",
            ok & hh["head_age"].str.len().eq(2),
            "head_age",
            lambda row: "1" + row["head_age"],
            "out_of_range",
            "年龄多录了一位数",
            "核对纸质记录，录入多打一位",
        )
        if idx is not None:
            true = hh.at[idx, "head_age"]
            self.problems.append(
                Problem(
                    self.wave,
                    "household",
                    self.key_of("household", idx),
                    self.instance_of("household", idx),
                    "members/member_age",
                    "roster_inconsistency",
                    true,
                    true,
                    "户主年龄录错，花名册第1人年龄与之不符（改正户主年龄即解决）",
                )
            )
        self.fault(
            "household",
            ok & hh["income_total"].ne("998"),
            "income_total",
            lambda row: str(round(float(row["income_total"]) * 10000)),
            "out_of_range",
            "收入按元而不是万元填写",
            "单位错误：按元填写，改为万元",
        )
        self.fault(
            "household",
            ok,
            "distance_centre_km",
            "350",
            "out_of_range",
            "距离多录一位（35公里）",
            "核对纸质问卷，按原填写更正距离",
        )
        for _ in range(2):
            self.fault(
                "household",
                ok,
                "distance_centre_km",
                "998",
                "missing_code",
                "不知道（已声明的缺失码）",
            )
        self.fault(
            "household",
            ok & (hh["main_livelihood"].isin(["2", "3"])),
            "livestock_units",
            "9999",
            "missing_code_undeclared",
            "不知道录成9999（应为99998）",
            "回访核实：户主说不清存栏数",
            new_value="99998",
        )
        self.fault(
            "household",
            ok & (hh["cropland_mu"] != "0"),
            "cropland_mu",
            "999",
            "missing_code_undeclared",
            "不知道录成999（在取值范围内）",
        )

        self.fault(
            "household",
            ok & (hh["head_ethnicity"] == "2"),
            "head_ethnicity",
            "8",
            "unknown_choice_code",
            "民族代码8不在选项中",
            "核对纸质问卷：藏族",
            new_value="2",
        )
        self.fault(
            "household",
            ok & (hh["tv_access"] == "3"),
            "tv_access",
            "6",
            "unknown_choice_code",
            "代码6（投影电视）是调查员自加的",
            "核对纸质问卷：调查员自加代码6（投影电视），实为网络电视",
            new_value="3",
        )
        if year == 2025:
            self.fault(
                "household",
                ok & hh["info_channels"].str.contains("3", regex=False),
                "info_channels",
                lambda row: row["info_channels"] + " 9",
                "unknown_choice_code",
                "代码9（短视频平台）不在2024版选项中",
                "代码9不在选项中：删去，短视频平台记入开放题",
            )

        idx = self.pick("household", ok)
        if idx is not None:
            start = dt.datetime.fromisoformat(hh.at[idx, "start"])
            end = odk_datetime(
                start + dt.timedelta(minutes=3, seconds=int(self.rng.integers(0, 50)))
            )
            fix = {"action": "drop", "reason": "回访核实：未实际入户访问"} if year == 2025 else {}
            self.set("household", idx, "end", end, "short_interview", "完整问卷3分钟完成", **fix)

        self.fault(
            "household",
            ok & hh["problem_detail"].ne(""),
            "problem_detail",
            lambda row: f"{row['problem_detail']}有事打我电话{phone_number(self.rng)}。",
            "pii_in_free_text",
            "开放题里写了手机号",
            "删除开放题中的电话号码",
        )
        self.fault(
            "household",
            ok,
            "enumerator_notes",
            lambda row: (
                "户主身份证号"
                + id_number(self.rng, row["county"], 1970 + int(self.rng.integers(0, 30)), "1")
                + "，已核对。"
            ),
            "pii_in_free_text",
            "调查员备注里写了身份证号",
            "删除调查员备注中的身份证号",
        )
        self.fault(
            "household",
            ok & hh["suggestions"].ne(""),
            "suggestions",
            lambda row: f"{row['suggestions']}联系人电话{phone_number(self.rng)}",
            "pii_in_free_text",
            "建议里留了电话",
            "删除开放题中的电话号码",
        )

        idx = self.pick("household", ok)
        if idx is not None:
            self._roster_age(idx, str(int(hh.at[idx, "head_age"]) + 1), record=True)

    def _roster_age(self, idx: int, age: str, record: bool = False) -> None:
        members = self.t["members"]
        parent = self.t["household"].at[idx, "__instance_id"]
        first = members.index[(members["__parent"] == parent) & (members["__position"] == "1")]
        if not len(first):
            return
        clean = members.at[first[0], "member_age"]
        members.at[first[0], "member_age"] = age
        if record:
            key = self.key_of("household", idx)
            self.problems.append(
                Problem(
                    self.wave,
                    "household",
                    key,
                    parent,
                    "members/member_age",
                    "roster_inconsistency",
                    age,
                    clean,
                    "花名册第1人（户主）年龄与户主年龄不一致",
                    action="replace",
                    new_value=clean,
                    reason="核对纸质问卷：户主年龄以户主信息为准",
                    target=f"{key}/members[1]",
                )
            )

    def village(self, year: int) -> None:
        v = self.t["village"]
        if year == 2024:
            self.duplicate("village", action="drop", reason="重复上传，保留先收到的一份")
        else:
            idx_changes = {"enumerator_notes": "重新核对了户数后再次提交"}
            self.duplicate(
                "village", changes=idx_changes, action="drop", reason="同一村提交两次，以后一份为准"
            )
        self.fault(
            "village",
            v["has_culture_room"] == "1",
            "culture_room_area",
            lambda row: row["culture_room_area"] + "00",
            "out_of_range",
            "面积多录了两个0",
            "核对：面积多打了两个0",
        )
        self.fault(
            "village",
            v["has_library"] == "2",
            "library_books",
            "500",
            "skip_violation",
            "没有书屋却填了藏书",
        )
        self.fault(
            "village",
            None,
            "natural_villages",
            "99",
            "missing_code_undeclared",
            "不知道录成99（超出1-50）",
            "电话回访村委会补填自然村数",
        )
        self.fault(
            "village", None, "distance_county_km", "998", "missing_code", "不知道（已声明的缺失码）"
        )
        idx = self.pick("village", v["main_income_source"] == "4")
        idx = idx if idx is not None else self.pick("village")
        if idx is not None:
            self.set(
                "village",
                idx,
                "main_income_source",
                "6",
                "unknown_choice_code",
                "代码6不在选项中（旅游？）",
                action="replace",
                new_value=v.at[idx, "main_income_source"],
                reason="电话核实：主要收入来源按选项重新归类",
            )
        self.fault(
            "village",
            v["minority_population"].astype(int) > 100,
            "minority_population",
            lambda row: str(int(row["population"]) + int(row["minority_population"])),
            "constraint_violation",
            "少数民族人口大于户籍人口（多录）",
            "核对村登记表",
        )
        self.fault(
            "village",
            None,
            "enumerator_notes",
            lambda row: f"书记电话{phone_number(self.rng)}，可回访",
            "pii_in_free_text",
            "调查员备注里写了电话",
            "删除调查员备注中的电话号码",
        )

    def cadre(self, year: int) -> None:
        c = self.t["cadre"]
        self.fault(
            "cadre",
            None,
            "score_democratic",
            lambda row: _drop_decimal_point(row["score_democratic"]),
            "out_of_range",
            "漏打小数点",
            "核对测评汇总表：漏了小数点",
        )
        self.fault(
            "cadre",
            None,
            "posting_mode",
            "4",
            "unknown_choice_code",
            "挂职方式4不在选项中",
            "核对组织部选派名单",
        )
        self.fault(
            "cadre",
            c["posting_mode"] == "3",
            "posting_level",
            "1",
            "constraint_violation",
            "上派却填了乡镇层级",
            "核对组织部选派名单：挂职单位层级",
        )
        self.fault(
            "cadre",
            None,
            "problems",
            lambda row: (
                "本人身份证"
                + id_number(self.rng, row["county"], int(row["birth_year"]), row["sex"])
                + "，补助一直没发。"
            ),
            "pii_in_free_text",
            "开放题里写了身份证号",
            "核对纸质问卷：录入时把身份证号录进了开放题，按原文更正",
        )
        # One cadre typed in twice by two clerks (no instance id to tell them apart).
        idx = self.pick("cadre")
        if idx is not None:
            row = c.loc[[idx]].copy()
            row.index = [int(c.index.max()) + 1]
            self.t["cadre"] = pd.concat([c, row])
            self.problems.append(
                Problem(
                    self.wave,
                    "cadre",
                    self.key_of("cadre", idx),
                    "",
                    "cadre_id",
                    "duplicate_submission",
                    self.key_of("cadre", idx),
                    "",
                    "同一名干部被两人各录入一次（整行重复）",
                    action="drop",
                    reason="同一名干部录入了两次，删除重复的一行",
                )
            )
        self.problems.append(
            Problem(
                self.wave,
                "cadre",
                "",
                "",
                "",
                "empty_row",
                "",
                "",
                "Excel另存为CSV时末尾多出一行空单元格",
            )
        )

    def confirm_outliers(self) -> None:
        """Extreme but true values a supervisor confirmed (corrections with action confirm)."""
        v = self.t["village"]
        far = pd.to_numeric(v["distance_county_km"], errors="coerce").where(lambda x: x < 500, 0.0)
        idx = self.pick("village", far == far.max())
        if idx is not None:
            value = v.at[idx, "distance_county_km"]
            self.problems.append(
                Problem(
                    self.wave,
                    "village",
                    self.key_of("village", idx),
                    self.instance_of("village", idx),
                    "distance_county_km",
                    "confirmed_extreme",
                    value,
                    value,
                    "最远的牧业村，距离属实（不是错误）",
                    action="confirm",
                    reason="电话核实：距离属实",
                )
            )


def _drop_decimal_point(score: str) -> str:
    """A score typed without its decimal point (``85.5`` -> ``855``, ``90`` -> ``900``)."""
    return score.replace(".", "") if "." in score else score + "0"


def inject(
    tables: dict[str, pd.DataFrame], wave: str, year: int, rng: np.random.Generator
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Spoil the clean tables of a wave; returns the dirty tables and the problems injected.

    ``tables`` holds ``village``, ``household``, ``members`` and ``cadre`` frames as
    produced by :func:`analysis.demo_study.answers.fit_to_instrument` (answers as text,
    bookkeeping columns ``__instance_id``, ``__received``, ``__parent``, ...).
    """
    job = _Injector(tables, wave, rng)
    job.household(year)
    job.village(year)
    job.cadre(year)
    job.confirm_outliers()
    return job.t, list(job.problems)
