"""The function library's names and arities, checked when an expression is parsed.

``SIGNATURES`` maps every supported function to ``(min_args, max_args)`` (``None``: any
number). ``UNSUPPORTED`` names functions of the ODK XForms spec the engine cannot
evaluate over exported data (random values, secondary instances, geometry), each with a
reason. ``NOT_IN_ODK`` marks functions that are XPath 1.0 but not in ODK Collect
(JavaRosa): the engine evaluates them as XPath 1.0 does, but a form using them fails on a
phone.

>>> SIGNATURES["substr"], SIGNATURES["concat"]
((2, 3), (0, None))
"""

from __future__ import annotations

__all__ = ["NODESET_ARGS", "NOT_IN_ODK", "SIGNATURES", "UNSUPPORTED"]

SIGNATURES: dict[str, tuple[int, int | None]] = {
    # boolean
    "if": (3, 3),
    "coalesce": (2, 2),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    "boolean": (1, 1),
    "boolean-from-string": (1, 1),
    "regex": (2, 2),
    "checklist": (2, None),
    "weighted-checklist": (2, None),
    "once": (1, 1),
    "depend": (1, None),
    # string
    "string": (1, 1),
    "concat": (0, None),
    "join": (1, None),
    "substr": (2, 3),
    "substring": (2, 3),
    "substring-before": (2, 2),
    "substring-after": (2, 2),
    "string-length": (0, 1),
    "normalize-space": (0, 1),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "ends-with": (2, 2),
    "translate": (3, 3),
    # number
    "number": (1, 1),
    "int": (1, 1),
    "round": (1, 2),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "pow": (2, 2),
    "sqrt": (1, 1),
    "exp": (1, 1),
    "exp10": (1, 1),
    "log": (1, 1),
    "log10": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
    "asin": (1, 1),
    "acos": (1, 1),
    "atan": (1, 1),
    "atan2": (2, 2),
    "pi": (0, 0),
    "min": (1, None),
    "max": (1, None),
    # node-set / repeat
    "count": (1, 1),
    "count-non-empty": (1, 1),
    "sum": (1, 1),
    "position": (0, 1),
    "indexed-repeat": (3, 3),
    # select
    "selected": (2, 2),
    "is-selected": (2, 2),
    "count-selected": (1, 1),
    "selected-at": (2, 2),
    "jr:choice-name": (2, 2),
    "choice-name": (2, 2),
    # date
    "today": (0, 0),
    "now": (0, 0),
    "date": (1, 1),
    "date-time": (1, 1),
    "decimal-date-time": (1, 1),
    "decimal-time": (1, 1),
    "format-date": (2, 2),
    "format-date-time": (2, 2),
}

UNSUPPORTED: dict[str, str] = {
    "random": "it gives a different value on every evaluation",
    "uuid": "it gives a different value on every evaluation",
    "randomize": "it shuffles with a random seed",
    "pulldata": "it reads a secondary instance (a CSV attached to the form)",
    "instance": "secondary instances (choice lists, attached CSVs) are not loaded",
    "digest": "cryptographic digests are not part of the engine",
    "base64-decode": "base64 decoding is not part of the engine",
    "area": "geometry functions are not part of the engine",
    "distance": "geometry functions are not part of the engine",
    "version": "the form version is not part of the data",
    "property": "device properties are not part of the data",
    "jr:itext": "translations are read from the Instrument, not from expressions",
    "last": "XPath context size is not available for columns",
    "local-name": "node names are not available for columns",
    "name": "node names are not available for columns",
    "namespace-uri": "namespaces are not available for columns",
    "lang": "xml:lang is not available for columns",
    "id": "ID lookups are not available for columns",
    "indexed-repeat-nested": "only one repeat level is supported",
}

#: XPath 1.0 functions that ODK Collect (JavaRosa) does not implement.
NOT_IN_ODK = frozenset({"floor", "ceiling", "substring"})

#: Functions whose arguments may be a node-set (several repeat instances per row).
NODESET_ARGS: dict[str, tuple[int, ...] | str] = {
    "count": (0,),
    "count-non-empty": (0,),
    "sum": (0,),
    "min": "single",
    "max": "single",
    "concat": "single",
    "join": (1,),
    "indexed-repeat": (0,),
    "position": (0,),
}
