"""A study on disk: ``study.toml`` and every path of the study.

No other module writes a literal path: they ask a :class:`Study`.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "study.toml").write_text('''
... [study]
... name = "示例"
... [instruments.village]
... form = "surveys/village.xlsx"
... key = "village_id"
... ''', encoding="utf-8")
>>> study = Study.load(root)
>>> study.instrument_names
('village',)
>>> study.raw_dir("2024").relative_to(root).as_posix()
'data/raw/2024'
>>> study.form_path("village").name
'village.xlsx'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import StudyError

__all__ = [
    "DEFAULT_PATHS",
    "STUDY_FILE",
    "WORK_FOLDER",
    "InstrumentSpec",
    "Study",
    "find_study_root",
    "instrument_name",
]

STUDY_FILE = "study.toml"
#: The folder of a wave's working files inside ``data/processed/<wave>/`` (caches, not outputs).
WORK_FOLDER = ".work"

#: The folders of a study unless ``[paths]`` says otherwise.
DEFAULT_PATHS = {
    "surveys": "surveys",
    "raw": "data/raw",
    "processed": "data/processed",
    "reports": "reports",
    "notebooks": "notebooks",
    "benchmarks": "benchmarks",
    "entry": "data/entry",
}


@dataclass(frozen=True)
class InstrumentSpec:
    """One instrument of a study as declared in ``study.toml``."""

    name: str
    form: Path
    key: str | None = None
    parent: str | None = None
    parent_key: str | None = None
    label: Mapping[str, str] = field(default_factory=dict)


def find_study_root(start: Path | str | None = None) -> Path:
    """Walk up from ``start`` (default: the working directory) to the folder holding study.toml.

    Raises
    ------
    StudyError
        ``STU001`` when no study.toml is found.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / STUDY_FILE).is_file():
            return folder
    raise StudyError(
        "STU001",
        "no study.toml found in this folder or any folder above it",
        file=str(here),
        hint="Run the command inside a study (the folder with study.toml), or pass --study PATH.",
    )


@dataclass(frozen=True)
class Study:
    """A study: its root folder and its parsed ``study.toml`` (read-only)."""

    root: Path
    config: Mapping[str, Any]

    @classmethod
    def load(cls, root: Path | str | None = None) -> Study:
        """Load the study whose root is ``root`` (or found above the working directory)."""
        root = (
            find_study_root(root)
            if root is None or not (Path(root) / STUDY_FILE).is_file()
            else Path(root)
        )
        path = Path(root).resolve() / STUDY_FILE
        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise StudyError(
                "STU002",
                f"study.toml is not valid TOML: {exc}",
                file=str(path),
                hint="Fix the syntax at the position given (quotes, brackets, '=' between key and value).",
            ) from None
        except UnicodeDecodeError:
            raise StudyError(
                "STU002",
                "study.toml is not UTF-8 text",
                file=str(path),
                hint="Save study.toml as UTF-8.",
            ) from None
        study = cls(root=path.parent, config=MappingProxyType(config))
        study._check()
        return study

    def _check(self) -> None:
        from .schema import check_config  # the schema imports DEFAULT_PATHS from here

        check_config(self.config, self.root / STUDY_FILE)
        instruments = self.config.get("instruments", {})
        if not isinstance(instruments, dict):
            raise StudyError(
                "STU003", "[instruments] must be a table", file=str(self.root / STUDY_FILE)
            )
        for name, spec in instruments.items():
            if not isinstance(spec, dict) or "form" not in spec:
                raise StudyError(
                    "STU003",
                    f"instrument '{name}' has no 'form'",
                    file=str(self.root / STUDY_FILE),
                    column=f"instruments.{name}",
                    hint=f'Add form = "surveys/{name}.xlsx" under [instruments.{name}].',
                )
            parent = spec.get("parent")
            if parent is not None and parent not in instruments:
                raise StudyError(
                    "STU004",
                    f"instrument '{name}' names parent '{parent}', which is not an instrument of the study",
                    file=str(self.root / STUDY_FILE),
                    column=f"instruments.{name}.parent",
                    expected=", ".join(sorted(instruments)),
                    found=parent,
                )

    # ------------------------------------------------------------------ settings
    @property
    def name(self) -> str:
        """The study's name (zh)."""
        return str(self.config.get("study", {}).get("name", self.root.name))

    @property
    def default_language(self) -> str:
        """The language of labels and report text unless told otherwise."""
        return str(self.config.get("study", {}).get("default_language", "zh"))

    def setting(self, *keys: str, default: Any = None) -> Any:
        """A nested setting of study.toml, e.g. ``study.setting("pii", "salt")``."""
        node: Any = self.config
        for key in keys:
            if not isinstance(node, Mapping) or key not in node:
                return default
            node = node[key]
        return node

    # ------------------------------------------------------------------ instruments
    @property
    def instrument_names(self) -> tuple[str, ...]:
        """Names of the study's instruments, in the order study.toml declares them."""
        return tuple(self.config.get("instruments", {}))

    def instrument(self, name: str) -> InstrumentSpec:
        """The declared instrument ``name``."""
        specs = self.config.get("instruments", {})
        if name not in specs:
            raise StudyError(
                "STU005",
                f"unknown instrument '{name}'",
                file=str(self.root / STUDY_FILE),
                expected=", ".join(specs) or "(none declared)",
                found=name,
                hint="Use one of the instruments declared under [instruments] in study.toml.",
            )
        spec = specs[name]
        return InstrumentSpec(
            name=name,
            form=self.path(spec["form"]),
            key=spec.get("key"),
            parent=spec.get("parent"),
            parent_key=spec.get("parent_key"),
            label=MappingProxyType(dict(spec.get("label", {}))),
        )

    def form_path(self, name: str, wave: str | None = None) -> Path:
        """Path of the XLSForm of instrument ``name`` (as collected in ``wave``, if given).

        A wave collected with an older version of an instrument declares it in
        study.toml::

            [waves.forms.demo-2024]
            household = "surveys/household-2024.xlsx"

        Without such an entry (or without ``wave``) the instrument's current form is
        returned.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "study.toml").write_text(
        ...     '[instruments.hh]\\nform = "surveys/hh.xlsx"\\n'
        ...     '[waves.forms.w1]\\nhh = "surveys/hh-w1.xlsx"\\n', encoding="utf-8")
        >>> study = Study.load(root)
        >>> study.form_path("hh", "w1").name, study.form_path("hh", "w2").name
        ('hh-w1.xlsx', 'hh.xlsx')
        """
        current = self.instrument(name).form
        if wave is None:
            return current
        forms = self.setting("waves", "forms", wave, default={})
        if not isinstance(forms, Mapping) or name not in forms:
            return current
        declared = forms[name]
        if not isinstance(declared, str) or not declared:
            raise StudyError(
                "STU006",
                f"the form of instrument '{name}' in wave '{wave}' must be a path",
                file=str(self.root / STUDY_FILE),
                column=f"waves.forms.{wave}.{name}",
                expected='a path such as "surveys/household-2024.xlsx"',
                found=repr(declared),
                hint=f'Write {name} = "surveys/{name}-{wave}.xlsx" under [waves.forms.{wave}].',
            )
        return self.path(declared)

    # ------------------------------------------------------------------ paths
    def path(self, relative: str | Path) -> Path:
        """A path of the study, resolved from its root."""
        return (self.root / relative).resolve()

    def _dir(self, kind: str) -> Path:
        configured = self.config.get("paths", {}).get(kind, DEFAULT_PATHS[kind])
        return self.path(configured)

    @property
    def surveys_dir(self) -> Path:
        """Folder of the XLSForm instruments."""
        return self._dir("surveys")

    @property
    def notebooks_dir(self) -> Path:
        """Folder of the report notebooks."""
        return self._dir("notebooks")

    @property
    def benchmarks_dir(self) -> Path:
        """Folder of the benchmark harness."""
        return self._dir("benchmarks")

    @property
    def entry_dir(self) -> Path:
        """``data/entry/``: the data-entry app's database (answers, accounts; not committed)."""
        return self._dir("entry")

    def raw_dir(self, wave: str) -> Path:
        """``data/raw/<wave>/``: field exports exactly as received (read-only)."""
        return self._dir("raw") / wave

    def processed_dir(self, wave: str) -> Path:
        """``data/processed/<wave>/``: cleaned, labelled outputs (generated)."""
        return self._dir("processed") / wave

    def work_dir(self, wave: str) -> Path:
        """``data/processed/<wave>/.work/``: the wave pipeline's working files (caches)."""
        return self.processed_dir(wave) / WORK_FOLDER

    def cleaned_file(self, wave: str, instrument: str) -> Path:
        """The cleaned data of ``instrument`` in ``wave`` as the pipeline keeps it for reports.

        ``data/processed/<wave>/.work/clean-<instrument>.pkl``: a pickled
        :class:`analysis.corrections.CorrectionResult`, written by the pipeline's correct step
        and read by :func:`analysis.sections.load_context`.

        >>> study = Study(Path("/study"), {})
        >>> study.cleaned_file("2024", "village").relative_to("/study").as_posix()
        'data/processed/2024/.work/clean-village.pkl'
        """
        return self.work_dir(wave) / f"clean-{instrument}.pkl"

    def reports_dir(self, wave: str) -> Path:
        """``reports/<wave>/``: the generated report of a wave."""
        return self._dir("reports") / wave

    def codebook_dir(self) -> Path:
        """Where instrument codebooks are written (beside the processed data)."""
        return self._dir("processed") / "codebooks"

    @property
    def waves(self) -> tuple[str, ...]:
        """Waves present under data/raw/ (sorted) plus any declared in study.toml."""
        declared = list(self.config.get("waves", {}).get("list", []))
        raw = self._dir("raw")
        found = sorted(p.name for p in raw.iterdir() if p.is_dir()) if raw.is_dir() else []
        return tuple(dict.fromkeys([*declared, *found]))

    def wave_label(self, wave: str, lang: str = "zh") -> str:
        """How the report names a wave: ``[waves.labels]`` of study.toml, else its year.

        A label is text or a table by language (``demo-2024 = { zh = "2024年", en =
        "2024" }``). Without one, a wave id ending in a year is named by it (``2024年``
        in Chinese, ``2024`` in English); any other id is used as it is.

        Examples
        --------
        >>> s = Study(Path("."), {"waves": {"labels": {"spring": {"zh": "春季调查"}}}})
        >>> s.wave_label("demo-2024"), s.wave_label("demo-2024", "en"), s.wave_label("spring")
        ('2024年', '2024', '春季调查')
        """
        import re

        labels = self.setting("waves", "labels", default={}) or {}
        label = labels.get(wave) if isinstance(labels, Mapping) else None
        if isinstance(label, Mapping):
            label = label.get(lang) or label.get("zh") or next(iter(label.values()), None)
        if label:
            return str(label)
        year = re.search(r"(?:^|\D)((?:19|20)\d\d)$", wave)
        if year:
            return year.group(1) + ("" if lang == "en" else "年")
        return wave

    def wave_before(self, wave: str) -> str | None:
        """The wave before ``wave`` in :attr:`waves` (None for the first or an unknown wave)."""
        waves = list(self.waves)
        i = waves.index(wave) if wave in waves else 0
        return waves[i - 1] if i > 0 else None


def instrument_name(instrument: Any, study: Study | None = None, name: str | None = None) -> str:
    """The study's name of an instrument.

    ``name`` when given, else the study instrument whose form is the instrument's file,
    else the one named like its ``form_id`` or file, else the ``form_id``.

    Parameters
    ----------
    instrument : Instrument
        A loaded form (:class:`analysis.instrument.Instrument`: its ``path`` and ``form_id``).
    study : Study, optional
    name : str, optional
        The name the caller already knows.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> form = SimpleNamespace(path=Path("surveys/hh.xlsx"), form_id="hh_2024")
    >>> instrument_name(form), instrument_name(form, name="household")
    ('hh', 'household')
    """
    if name:
        return name
    path = getattr(instrument, "path", None)
    if study is not None:
        for n in study.instrument_names:
            if path is not None:
                try:
                    if study.form_path(n).resolve() == path.resolve():
                        return n
                except OSError:
                    pass
        for n in study.instrument_names:
            if n == instrument.form_id or (path is not None and path.stem == n):
                return n
    return path.stem if path is not None else instrument.form_id
