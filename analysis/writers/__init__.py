"""Writers: Parquet, labelled SPSS .sav and Stata .dta, deterministic, PII handled.

* :func:`write_parquet` - labels of every language in the file's metadata;
* :func:`write_sav`, :func:`write_dta` - valid names, variable and value labels in one
  language (``zh`` by default) cut on character boundaries to each format's limits,
  user-missing values (SPSS), dates as dates; header timestamps fixed;
* :func:`write_tables` - every table of a :class:`~analysis.readers.RawData` in every
  format, ``<name>.<ext>`` and ``<name>-<repeat>.<ext>``;
* :func:`protect_pii` / :func:`pii_columns` - drop or pseudonymise (salted HMAC) PII.

Every writer returns a :class:`WriteReceipt` (files written with their SHA-256, and
notes ``WRT1xx`` of each rename or cut); errors are :class:`~analysis.errors.WriteError`
(``WRT0xx``). See ``docs/errors/writers.md``.
"""

from .limits import LIMITS, cut_bytes, cut_chars
from .outputs import neutralise_timestamp, sha256_of
from .parquet import METADATA_KEY, write_parquet
from .pii import PII_ACTIONS, pii_columns, protect_pii, pseudonym
from .receipt import NOTE_CODES, WriteReceipt, WrittenFile
from .spss_stata import output_names, write_dta, write_sav
from .tables import OUTPUT_FORMATS, table_file, write_tables

__all__ = [
    "LIMITS",
    "METADATA_KEY",
    "NOTE_CODES",
    "OUTPUT_FORMATS",
    "PII_ACTIONS",
    "WriteReceipt",
    "WrittenFile",
    "cut_bytes",
    "cut_chars",
    "neutralise_timestamp",
    "output_names",
    "pii_columns",
    "protect_pii",
    "pseudonym",
    "sha256_of",
    "table_file",
    "write_dta",
    "write_parquet",
    "write_sav",
    "write_tables",
]
