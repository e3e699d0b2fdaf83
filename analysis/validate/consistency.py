"""Consistency across instruments and across waves.

Across instruments (study.toml ``parent``/``parent_key``; run from the child's side):

* ``VAL180``: a child record whose parent key (a household's ``village_id``) is not a
  record of the parent instrument;
* ``VAL181``: a child answer that should equal its parent's (``[validate.links.<child>]
  same = { county = "county", village_hh_total = "households" }``);
* ``VAL182``: the number of child records of a parent differs from what the child
  records say (``count = "hh_sampled"``) or from a parent column (``count =
  "village.<column>"``);
* ``VAL183``: a parent record without any child record (info).

Across waves (``previous`` = the same instrument's previous wave):

* ``VAL184``: a unit of the previous wave missing from this one (panel attrition);
* ``VAL185``: a unit new in this wave (info);
* ``VAL186``: an attribute that should not change (``[validate.panel.<instrument>]
  stable = [...]``, by default the questions with role ``strata`` or ``psu``) did.

``VAL187`` (info) says a check could not run: the parent's data was not given, or a
column named in the settings is absent.

Examples
--------
>>> from analysis.readers import RawData, RawMetadata
>>> village = RawData(pd.DataFrame({"_key": ["v1"], "village_id": ["110203"]}), {}, RawMetadata(format="csv"))
>>> keys_of(village, "village_id").tolist()
['110203']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..readers.rawdata import MAIN, RawData
from ..readers.records import Records, as_text, positions_in
from .issues import Found, join_text, say
from .settings import ValidateSettings

__all__ = ["check_links", "check_panel", "column_of", "keys_of"]


def column_of(data: RawData, name: str) -> pd.Series | None:
    """The main-table column of question ``name`` in ``data`` (``None`` when absent)."""
    frame = data.data
    for col, info in data.metadata.column_info(MAIN).items():
        if info.kind == "question" and info.question == name and col in frame.columns:
            return frame[col]
    return frame[name] if name in frame.columns else None


def keys_of(data: RawData, column: str | None) -> pd.Series:
    """The key of each main record of ``data`` as stripped text ('' when empty)."""
    col = column_of(data, column) if column else None
    if col is None:
        col = data.data["_key"] if "_key" in data.data.columns else pd.Series([""] * len(data.data))
    return as_text(col).str.strip().reset_index(drop=True)


def _cannot(message: str) -> Found:
    return Found.table_level(MAIN, "", "VAL187", "", message)


def check_links(
    records: Records,
    study: Any,
    others: dict[str, RawData] | None,
    settings: ValidateSettings,
    lang: str,
) -> Found:
    """A child instrument against its parent (see module doc)."""
    if study is None or others is None or records.name not in study.instrument_names:
        return Found.none()
    spec = study.instrument(records.name)
    if not spec.parent or not spec.parent_key:
        return Found.none()
    parent_name = spec.parent
    if parent_name not in others:
        return _cannot(
            say(
                lang,
                f"没有提供上级问卷 {parent_name} 的数据，未检查 {records.name} 与它的一致性",
                f"no data of the parent instrument {parent_name}: {records.name} not checked against it",
            )
        )
    parent = others[parent_name]
    parent_key_col = study.instrument(parent_name).key
    parent_keys = keys_of(parent, parent_key_col)
    main = records.main
    if spec.parent_key not in main.columns:
        return _cannot(
            say(
                lang,
                f"{records.name} 中没有 {spec.parent_key} 列，无法对应到 {parent_name}",
                f"{records.name} has no column {spec.parent_key}: cannot link it to {parent_name}",
            )
        )
    child_keys = main.texts(spec.parent_key).str.strip()
    lookup = pd.Index(parent_keys)
    first = ~lookup.duplicated()
    index = pd.Index(parent_keys[first].to_numpy())
    parent_rows = np.flatnonzero(first.to_numpy() if hasattr(first, "to_numpy") else first)
    found = index.get_indexer(child_keys.to_numpy(dtype=object))
    parts = []
    missing = (found < 0) & (child_keys != "").to_numpy()
    if missing.any():
        pos = np.flatnonzero(missing)
        shown = child_keys.iloc[pos].reset_index(drop=True)
        message = join_text(
            say(lang, f"{spec.parent_key} “", f"{spec.parent_key} '"),
            shown,
            say(lang, f"” 在 {parent_name} 数据中不存在", f"' is not a record of {parent_name}"),
        )
        parts.append(
            Found.of(
                MAIN,
                pos,
                spec.parent_key,
                "VAL180",
                shown,
                message,
                f"{parent_name}.{parent_key_col}",
            )
        )
    link = settings.links.get(records.name)
    ok = found >= 0
    rows_in_parent = np.where(ok, parent_rows[np.maximum(found, 0)] if len(parent_rows) else 0, -1)
    if link is not None:
        for child_col, parent_col in link.same.items():
            theirs = column_of(parent, parent_col)
            if child_col not in main.columns or theirs is None:
                parts.append(
                    _cannot(
                        say(
                            lang,
                            f"设置 links.{records.name}.same 中的 {child_col} = {parent_col} 有一列不存在",
                            f"links.{records.name}.same: column {child_col} or {parent_name}.{parent_col} is absent",
                        )
                    )
                )
                continue
            mine = main.texts(child_col).str.strip().to_numpy(dtype=object)
            their_text = as_text(theirs).str.strip().reset_index(drop=True).to_numpy(dtype=object)
            other = np.where(
                ok, their_text[np.maximum(rows_in_parent, 0)] if len(their_text) else "", ""
            )
            differ = ok & (mine != other) & (mine != "") & (other != "")
            if differ.any():
                pos = np.flatnonzero(differ)
                shown = pd.Series(mine[pos], dtype="str")
                message = join_text(
                    f"{child_col} = ",
                    shown,
                    say(
                        lang,
                        f"，但 {parent_name} 记录的 {parent_col} = ",
                        f", but the {parent_name} record has {parent_col} = ",
                    ),
                    pd.Series(other[pos], dtype="str"),
                )
                parts.append(
                    Found.of(
                        MAIN,
                        pos,
                        child_col,
                        "VAL181",
                        shown,
                        message,
                        f"{child_col} = {parent_name}.{parent_col}",
                    )
                )
        if link.count:
            parts.append(
                _counts(records, parent, parent_name, parent_keys, child_keys, link.count, lang)
            )
    used = set(child_keys.unique()) - {""}
    lonely = [k for k in dict.fromkeys(parent_keys) if k and k not in used]
    if lonely:
        keys = pd.Series(lonely, dtype="str")
        message = join_text(
            say(lang, f"{parent_name} 记录 ", f"{parent_name} record "),
            keys,
            say(lang, f" 没有任何 {records.name} 记录", f" has no {records.name} records"),
        )
        parts.append(
            Found.of(
                MAIN,
                np.full(len(keys), -1),
                spec.parent_key,
                "VAL183",
                keys,
                message,
                f"{records.name} per {parent_name}",
                key=keys,
            )
        )
    return Found.concat(parts)


def _counts(
    records: Records,
    parent: RawData,
    parent_name: str,
    parent_keys: pd.Series,
    child_keys: pd.Series,
    count: str,
    lang: str,
) -> Found:
    main = records.main
    found = child_keys[child_keys != ""].value_counts()
    if count.startswith(f"{parent_name}."):
        col = column_of(parent, count.split(".", 1)[1])
        if col is None:
            return _cannot(
                say(
                    lang, f"{parent_name} 中没有 {count} 列", f"{parent_name} has no column {count}"
                )
            )
        expected = pd.Series(
            pd.to_numeric(as_text(col), errors="coerce").to_numpy(), index=parent_keys.to_numpy()
        )
        expected = expected[~expected.index.duplicated()]
    else:
        if count not in main.columns:
            return _cannot(
                say(
                    lang,
                    f"{records.name} 中没有 {count} 列",
                    f"{records.name} has no column {count}",
                )
            )
        frame = pd.DataFrame({"key": child_keys.to_numpy(), "n": main.numbers(count)})
        frame = frame[(frame["key"] != "") & frame["n"].notna()]
        expected = frame.groupby("key")["n"].agg(
            lambda s: s.mode().iloc[0] if len(s.mode()) else np.nan
        )
    expected = expected[(expected.index != "") & expected.notna()]
    got = found.reindex(expected.index).fillna(0).astype(int)
    differ = got.to_numpy() != expected.to_numpy()
    if not differ.any():
        return Found.none()
    keys = pd.Series(expected.index[differ], dtype="str")
    want = pd.Series([f"{w:g}" for w in expected.to_numpy()[differ]], dtype="str")
    have = pd.Series(got.to_numpy()[differ].astype(str), dtype="str")
    message = join_text(
        f"{parent_name} ",
        keys,
        say(lang, " 应有 ", " should have "),
        want,
        say(lang, f" 条 {records.name} 记录，实际 ", f" {records.name} records, found "),
        have,
        say(lang, " 条", ""),
    )
    return Found.of(
        MAIN,
        np.full(len(keys), -1),
        count,
        "VAL182",
        join_text(have, " / ", want),
        message,
        f"{records.name} per {parent_name} = {count}",
        key=keys,
    )


def check_panel(
    records: Records, previous: RawData | None, settings: ValidateSettings, lang: str
) -> Found:
    """This wave's units against the previous wave's (see module doc)."""
    if previous is None or records.key_column is None:
        return Found.none()
    main = records.main
    now = pd.Series(main.key, dtype="str").fillna("")
    before = keys_of(previous, records.key_question)
    parts = []
    now_set = set(now.unique()) - {""}
    before_set = set(before.unique()) - {""}
    gone = sorted(before_set - now_set)
    if gone:
        keys = pd.Series(gone, dtype="str")
        message = join_text(
            say(lang, f"上一轮有 {records.key_question} = ", f"{records.key_question} = "),
            keys,
            say(lang, "，本轮没有", " was in the previous wave but is not in this one"),
        )
        parts.append(
            Found.of(
                MAIN,
                np.full(len(keys), -1),
                records.key_question,
                "VAL184",
                keys,
                message,
                "panel",
                key=keys,
            )
        )
    new = (~now.isin(list(before_set)) & (now != "")).to_numpy()
    if new.any():
        pos = np.flatnonzero(new)
        shown = now.iloc[pos].reset_index(drop=True)
        message = join_text(
            say(
                lang,
                f"本轮新增的 {records.key_question}：",
                f"new {records.key_question} this wave: ",
            ),
            shown,
        )
        parts.append(Found.of(MAIN, pos, records.key_question, "VAL185", shown, message, "panel"))
    stable = settings.panel.get(records.name)
    names = (
        list(stable.stable)
        if stable is not None
        else [
            q.name
            for q in records.instrument.questions
            if q.role in ("strata", "psu") and q.repeat is None
        ]
    )
    # the previous wave's row of each unit (the first of repeated keys), found in Arrow
    # without a Python string per record
    at = positions_in(now, before)
    ok = (at >= 0) & (now != "").to_numpy()
    for name in names:
        theirs = column_of(previous, name)
        if name not in main.columns:
            continue
        if theirs is None:  # renamed without a harmonisation map, or not exported
            message = say(
                lang,
                f"上一轮数据中没有 {name}，本轮的 {name} 未与上一轮比较"
                "（若问卷改了题名，请在 study.toml 的 [harmonise] 中登记）",
                f"the previous wave's data has no {name}; this wave's {name} was not "
                "compared (if the form renamed it, declare it in study.toml's [harmonise])",
            )
            parts.append(
                Found.table_level(MAIN, name, "VAL188", "", message, "stable across waves")
            )
            continue
        old = as_text(theirs).str.strip().reset_index(drop=True)
        if not len(old) or not ok.any():
            continue
        mine = main.texts(name).str.strip().reset_index(drop=True)
        other = old.take(np.maximum(at, 0)).reset_index(drop=True).where(ok, "")
        differ = ok & (mine != other).to_numpy(dtype=bool)
        differ &= (mine != "").to_numpy(dtype=bool) & (other != "").to_numpy(dtype=bool)
        if differ.any():
            pos = np.flatnonzero(differ)
            shown = mine.iloc[pos].reset_index(drop=True)
            message = join_text(
                f"{name} = ",
                shown,
                say(lang, "，上一轮是 ", ", previous wave: "),
                other.iloc[pos].reset_index(drop=True),
            )
            parts.append(Found.of(MAIN, pos, name, "VAL186", shown, message, "stable across waves"))
    return Found.concat(parts)
