"""Record keys and repeat links: ``_key``, ``_parent_key``, flattened repeats.

Keys (``_key``, text, never empty):

* main table: ODK Central ``KEY``; else the ``instanceID`` question; else Kobo/Ona
  ``_uuid``; else ``_id``; else ``main#row<n>`` (logged RD131). An empty key in a
  key column becomes ``<table>#row<n>`` (RD132). Duplicates are kept and logged on
  every record sharing the key (RD130).
* repeat tables: ODK Central ``KEY``; else ``<parent key>/<path>/<repeat>[i]``, the
  form ODK uses, with ``i`` the record's rank within its parent.

Parent keys (``_parent_key``): ODK Central ``PARENT_KEY``; Kobo/Ona
``_parent_index`` looked up in the parent table's ``_index``; the main record's key
for repeat answers flattened into the main table (``children[2]/age``). A repeat
record whose parent is not found is kept with an empty ``_parent_key`` and logged
(RD133).
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd

from ..instrument.model import Instrument
from .columns import Resolution
from .issues import IssueLog
from .rawdata import MAIN
from .table import SourceTable
from .values import blank

__all__ = ["instance_path", "repeat_path", "unpack_flattened"]

_INDEXED = re.compile(r"^(.*\])")


def repeat_path(instrument: Instrument | None, repeat: str, parent: str) -> str:
    """The path from the parent table's record to a repeat instance, ``hh/member``.

    Examples
    --------
    >>> repeat_path(None, "member", "main")
    'member'
    """
    if instrument is None:
        return repeat
    try:
        group = instrument.group(repeat)
    except KeyError:
        return repeat
    path = list(group.path)
    if parent != MAIN and parent in path:
        path = path[path.index(parent) + 1 :]
    return "/".join([*path, repeat])


def instance_path(header: str) -> tuple[str, str]:
    """The instance and parent-instance paths of a flattened (Ona/Kobo) header.

    Examples
    --------
    >>> instance_path("kids/kids_details[1]/kids_immunization[2]/immunization_info")
    ('kids/kids_details[1]/kids_immunization[2]', 'kids/kids_details[1]')
    >>> instance_path("children[3]/age")
    ('children[3]', '')
    """
    match = _INDEXED.match(header)
    prefix = match.group(1) if match else header
    parent_match = _INDEXED.match(prefix[: prefix.rfind("[")])
    return prefix, parent_match.group(1) if parent_match else ""


def unpack_flattened(
    src: SourceTable,
    table: str,
    resolutions: list[Resolution],
    instrument: Instrument | None,
    log: IssueLog,
    *,
    placeholders: bool = False,
) -> tuple[list[int], list[tuple[SourceTable, list[Resolution]]]]:
    """Split answers of nested repeats out of a table's columns.

    Returns the column positions that stay in ``src`` and, per repeat, a derived
    SourceTable (with its resolutions) holding one record per repeat instance that has
    any answer (``n/a`` counts as no answer when ``placeholders``). Wide headers (``children[2]/age``) give one record per index; plain
    headers of a repeat question in the main table (Ona's "flattened" long export)
    give one record per row.
    """
    keep: list[int] = []
    wide: dict[str, dict[str, list[int]]] = defaultdict(dict)  # repeat -> instance -> positions
    parent_of: dict[str, str] = {}
    long: dict[str, list[int]] = defaultdict(list)
    for i, res in enumerate(resolutions):
        q_table = res.table
        if res.question is None or q_table is None or q_table == table:
            keep.append(i)
            continue
        if res.indices:
            inst, parent_inst = instance_path(res.header.replace("\ufeff", "").strip())
            wide[q_table].setdefault(inst, []).append(i)
            parent_of[inst] = parent_inst
        else:
            long[q_table].append(i)
    derived: list[tuple[SourceTable, list[Resolution]]] = []
    frame = src.frame.reset_index(drop=True)

    def empty(i: int) -> np.ndarray:
        values = frame.iloc[:, i]
        out = blank(values)
        if placeholders:
            out |= values.astype("str").str.strip().str.lower().eq("n/a").fillna(False)
        return out.to_numpy(dtype=bool)

    def answered(positions: list[int]) -> np.ndarray:
        """The rows with an answer in any of the columns at ``positions``."""
        some = np.zeros(len(frame), dtype=bool)
        for i in positions:
            some |= ~empty(i)
        return np.nonzero(some)[0]

    for repeat, instances in wide.items():
        targets: dict[tuple, Resolution] = {}
        for positions in instances.values():
            for i in positions:
                res = resolutions[i]
                key = (res.kind, id(res.question), res.choice)
                if key not in targets:
                    targets[key] = Resolution(
                        res.kind,
                        re.sub(r"\[\d+\]", "[*]", res.header),
                        question=res.question,
                        choice=res.choice,
                    )
        order = list(targets)
        parts = []
        for inst, positions in instances.items():
            by_key = {
                (resolutions[i].kind, id(resolutions[i].question), resolutions[i].choice): i
                for i in positions
            }
            rows = answered(positions)
            if not len(rows):
                continue
            cols = {
                n: (
                    frame.iloc[rows, by_key[k]].to_numpy(dtype=object)
                    if k in by_key
                    else np.full(len(rows), "", dtype=object)
                )
                for n, k in enumerate(order)
            }
            indices = tuple(int(x) for x in re.findall(r"\[(\d+)\]", inst))
            parts.append(
                pd.DataFrame(
                    {
                        "_pos": rows,
                        "_idx": [indices] * len(rows),
                        "_inst": inst,
                        "_parent": parent_of[inst],
                        **cols,
                    }
                )
            )
        if not parts:
            body = pd.DataFrame({n: pd.Series(dtype="str") for n in range(len(order))})
            pos = np.zeros(0, dtype="int64")
            inst_list: list[str] = []
            parent_list: list[str] = []
        else:
            both = pd.concat(parts, ignore_index=True)
            both = both.sort_values(["_pos", "_idx"], kind="stable").reset_index(drop=True)
            body = pd.DataFrame({n: both[n].astype("str") for n in range(len(order))})
            pos = both["_pos"].to_numpy(dtype="int64")
            inst_list = both["_inst"].tolist()
            parent_list = both["_parent"].tolist()
        log.add(
            "RD136",
            f"{len(body)} record(s) of repeat {repeat!r} unpacked from {sum(len(p) for p in instances.values())} flattened column(s)",
            table=repeat,
        )
        derived.append(
            (
                SourceTable(
                    headers=[targets[k].header for k in order], frame=body, rows=src.rows[pos], path=src.path,
                    table=repeat, member=src.member, sheet=src.sheet, encoding=src.encoding, delimiter=src.delimiter,
                    label=repeat, link={"parent_pos": pos, "instance": inst_list, "parent_instance": parent_list},
                ),
                [targets[k] for k in order],
            )
        )  # fmt: skip
    for repeat, positions in long.items():
        rows = answered(positions)
        body = pd.DataFrame(
            {n: frame.iloc[rows, i].reset_index(drop=True) for n, i in enumerate(positions)}
        )
        log.add(
            "RD136",
            f"{len(body)} record(s) of repeat {repeat!r} read from {len(positions)} column(s) of the main table (one per row)",
            table=repeat,
        )
        derived.append(
            (
                SourceTable(
                    headers=[resolutions[i].header for i in positions], frame=body, rows=src.rows[rows], path=src.path,
                    table=repeat, member=src.member, sheet=src.sheet, label=repeat,
                    link={"parent_pos": rows, "instance": None, "parent_instance": None},
                ),
                [resolutions[i] for i in positions],
            )
        )  # fmt: skip
    return keep, derived


def number_within(parent_keys: pd.Series) -> pd.Series:
    """1-based rank of each record among the records with the same parent key.

    Examples
    --------
    >>> number_within(pd.Series(["a", "b", "a"])).tolist()
    [1, 1, 2]
    """
    return parent_keys.fillna("\0").groupby(parent_keys.fillna("\0"), sort=False).cumcount() + 1


def report_duplicates(keys: pd.Series, rows: np.ndarray, table: str, log: IssueLog) -> None:
    """Log RD130 on every record whose key is shared with another record."""
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        log.add_cells(
            "RD130", "record key shared with another record; all records kept", table=table, column="_key",
            rows=rows[dup], values=keys.to_numpy(dtype=object)[dup],
        )  # fmt: skip
