"""What every findings section reads: a wave's cleaned data and designs, loaded once.

:func:`load_context` reads the cleaned tables the wave pipeline cached
(:meth:`analysis.study.Study.cleaned_file`), prepares them for estimation
(:func:`analysis.design.from_study.analysis_frame`: missing codes to NaN, calculated
text to numbers) and builds each instrument's design from ``[design.<instrument>]`` of
study.toml, as the pipeline's estimate step does. The previous wave of ``study.waves`` is
loaded the same way when it has been processed, for wave-over-wave comparisons; when
it was collected with an older form (``[waves.forms.<wave>]``) its frames are first
lined up with the current one by the study's harmonisation map
(``[harmonise.<instrument>]``, :mod:`analysis.instrument.harmonise`).

A :class:`SectionContext` also knows the report language: :meth:`SectionContext.t`
picks the Chinese or English text, :meth:`SectionContext.relabel` turns choice
codes in estimate tables into their labels.

Examples
--------
>>> import pandas as pd
>>> from analysis.instrument.model import Choice, ChoiceList, Instrument, Question
>>> form = Instrument(None, "f", "F", None, "zh", ("zh", "en"),
...     (Question("county", "select_one", list_name="county"),), (),
...     {"county": ChoiceList("county", (Choice("11", {"zh": "东川县", "en": "Dongchuan"}),))})
>>> ctx = SectionContext(study=None, wave="w2", lang="zh",
...                      current=WaveData("w2", {}, {}), forms={"village": form})
>>> ctx.relabel(pd.DataFrame({"county": ["11"], "estimate": [0.5]}), "village")["county"].tolist()
['东川县']
>>> ctx.t("村", "village"), ctx.has("village")
('村', False)
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..design.from_study import analysis_frame, build_design, design_settings
from ..design.survey import SurveyDesign
from ..errors import SectionError
from ..study import Study

__all__ = ["SectionContext", "WaveData", "load_context", "load_wave", "previous_wave"]

_LANGS = ("zh", "en")


@dataclass(frozen=True, eq=False)
class WaveData:
    """One wave's cleaned analysis frames and designs, by instrument name."""

    wave: str
    frames: Mapping[str, pd.DataFrame]
    designs: Mapping[str, SurveyDesign]


def _numeric_weights(frame: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    weights = settings.get("weights")
    if weights and weights in frame and not pd.api.types.is_numeric_dtype(frame[weights]):
        frame = frame.assign(**{weights: pd.to_numeric(frame[weights], errors="coerce")})
    return frame


def _build(frame: pd.DataFrame, settings: Mapping[str, Any], instrument: str) -> SurveyDesign:
    return build_design(_numeric_weights(frame, settings), settings, name=instrument)


def load_wave(
    study: Study,
    wave: str,
    forms: Mapping[str, Any],
    harmonisations: Mapping[str, Any] | None = None,
) -> WaveData:
    """The cleaned frames and designs of every instrument the wave has data for.

    ``harmonisations`` (instrument name to :class:`analysis.instrument.harmonise.Harmonisation`)
    lines up the frames of a wave collected with an older form before they are prepared.

    Raises
    ------
    SectionError
        ``SEC001`` when the wave has no cleaned data (the pipeline has not run);
        ``SEC002`` when a cached file cannot be read.
    """
    from ..instrument.harmonise import harmonise

    maps = harmonisations or {}
    frames: dict[str, pd.DataFrame] = {}
    designs: dict[str, SurveyDesign] = {}
    for name in study.instrument_names:
        path = study.cleaned_file(wave, name)
        if not path.is_file():
            continue
        try:
            result = pickle.loads(path.read_bytes())
            raw = result.data.data
        except Exception as exc:  # a truncated or foreign cache file
            raise SectionError(
                "SEC002",
                f"cannot read the cleaned {name} data of wave '{wave}': {exc}",
                file=path,
                hint=f"Re-run the wave: `baicun run {wave} --force`.",
            ) from None
        if name in maps:
            raw = harmonise(raw, maps[name])
        frame = analysis_frame(raw, forms[name])
        settings = design_settings(study, name)
        frames[name] = frame
        designs[name] = _build(frame, settings, name)
    if not frames:
        raise SectionError(
            "SEC001",
            f"wave '{wave}' has no cleaned data to report on",
            file=study.cleaned_file(wave, study.instrument_names[0]).parent
            if study.instrument_names
            else None,
            expected="clean-<instrument>.pkl written by the wave pipeline",
            found="none",
            hint=f"Run the wave pipeline first: `baicun run {wave}`.",
        )
    return WaveData(wave, MappingProxyType(frames), MappingProxyType(designs))


def previous_wave(study: Study, wave: str) -> str | None:
    """The wave before ``wave`` in ``study.waves`` (``None`` for the first wave).

    Raises ``SEC003`` when ``wave`` is not a wave of the study.
    """
    waves = list(study.waves)
    if wave not in waves:
        raise SectionError(
            "SEC003",
            f"'{wave}' is not a wave of the study",
            file=study.root / "study.toml",
            expected=", ".join(waves) or "(no waves yet)",
            found=wave,
            hint="Pass one of the study's waves (data/raw/<wave>/ or [waves] list in study.toml).",
        )
    return study.wave_before(wave)


_YEAR = re.compile(r"(\d{4})$")


@dataclass(frozen=True, eq=False)
class SectionContext:
    """A wave's data, its previous wave's data and the report language.

    Attributes
    ----------
    study : Study
    wave : str
        The wave reported on.
    lang : {"zh", "en"}
    current : WaveData
        This wave's frames and designs.
    forms : mapping
        Instrument name to :class:`analysis.instrument.model.Instrument`.
    previous : str or None
        The wave before this one in ``study.waves``.
    before : WaveData or None
        The previous wave's data, when it has been processed.
    """

    study: Any
    wave: str
    lang: str
    current: WaveData
    forms: Mapping[str, Any] = field(default_factory=dict)
    previous: str | None = None
    before: WaveData | None = None

    # ------------------------------------------------------------------ access
    @property
    def frames(self) -> Mapping[str, pd.DataFrame]:
        """This wave's analysis frames by instrument."""
        return self.current.frames

    @property
    def designs(self) -> Mapping[str, SurveyDesign]:
        """This wave's designs by instrument."""
        return self.current.designs

    def design_for(self, instrument: str, frame: pd.DataFrame) -> SurveyDesign:
        """The instrument's design (study.toml settings) on ``frame``: this wave's rows
        with columns a section derived (scores, indicators, merged village data)."""
        return _build(frame, design_settings(self.study, instrument), instrument)

    def has(self, instrument: str) -> bool:
        """Whether this wave has data for ``instrument``."""
        return instrument in self.current.frames

    def t(self, zh: str, en: str) -> str:
        """The text in the report language."""
        return en if self.lang == "en" else zh

    def note(self, zh: str, en: str) -> str:
        """A table or figure note in the report language (English marked "Note:"; the
        report writer marks Chinese notes 注：)."""
        return self.t(zh, en if en.startswith(("Note", "Source")) else f"Note: {en}")

    def fill(self, zh: str, en: str, /, **rows: Any) -> str:
        """A sentence in the report language with its numbers from table rows.

        :func:`analysis.report.fill` on ``zh`` or ``en``, comparing with :attr:`period`.
        """
        from ..report import fill

        return fill(self.t(zh, en), lang=self.lang, period=self.period, **rows)

    def listing(self, parts: Sequence[str], *, last: bool = False) -> str:
        """Parts joined as a list: 、 in Chinese (，when ``last``), commas in English."""
        parts = [p for p in parts if p]
        if self.lang == "en":
            if last and len(parts) > 1:
                return ", ".join(parts[:-1]) + " and " + parts[-1]
            return ", ".join(parts)
        return ("，" if last else "、").join(parts)

    def wave_label(self, wave: str | None = None) -> str:
        """How the text names ``wave`` (default: this wave): its label in study.toml, else
        its year (``2024年``), never a raw id (:meth:`analysis.study.Study.wave_label`)."""
        wave = self.wave if wave is None else wave
        if hasattr(self.study, "wave_label"):
            return self.study.wave_label(wave, self.lang)
        return wave

    @property
    def previous_label(self) -> str | None:
        """How the text names the previous wave (``None`` for a first wave)."""
        return None if self.previous is None else self.wave_label(self.previous)

    @property
    def period(self) -> str:
        """What a change is compared with: 上年 for consecutive yearly waves, else 上一轮调查."""
        if self.previous is not None:
            a, b = _YEAR.search(self.previous), _YEAR.search(self.wave)
            if a and b and int(b.group(1)) - int(a.group(1)) == 1:
                return "上年"
        return self.t("上一轮调查", "the previous wave")

    # ------------------------------------------------------------------ labels
    def labels(self, instrument: str, question: str) -> dict[str, str]:
        """Choice code to label (report language) of a select question; ``{}`` otherwise."""
        form = self.forms.get(instrument)
        if form is None or question not in form:
            return {}
        choices = form.choices(question)
        if choices is None:
            return {}
        return {c.name: c.label(self.lang) for c in choices}

    def question_label(self, instrument: str, question: str) -> str:
        """The question's label in the report language (its name when it has none)."""
        form = self.forms.get(instrument)
        if form is None or question not in form:
            return question
        return form[question].label(self.lang) or question

    def relabel(
        self, table: pd.DataFrame, instrument: str, columns: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """A copy of ``table`` with choice codes replaced by labels.

        Columns named after select questions (``county``, ``village_type``, ...) are
        relabelled; ``level`` is relabelled with the choices of each row's
        ``variable``. Codes outside the choice list are kept as they are.
        """
        out = table.copy()
        names = list(columns) if columns is not None else list(out.columns)
        for col in names:
            if col == "level" and "variable" in out.columns:
                out["level"] = [
                    self.labels(instrument, str(v)).get(_code(c), _code(c))
                    for v, c in zip(out["variable"], out["level"])
                ]
            elif col in out.columns:
                lab = self.labels(instrument, col)
                if lab:
                    out[col] = [lab.get(_code(c), _code(c)) for c in out[col]]
        return out

    # ------------------------------------------------------------------ waves
    def stacked(self, instrument: str, *, wave: str = "wave") -> pd.DataFrame:
        """The previous and this wave's rows of ``instrument`` in one frame with a wave column.

        Raises ``SEC004`` when either wave lacks the instrument.
        """
        from ..estimate.waves import stack_waves

        if self.before is None or instrument not in self.before.frames or not self.has(instrument):
            raise SectionError(
                "SEC004",
                f"no two waves of {instrument} data to compare",
                expected=f"{instrument} data in waves {self.previous} and {self.wave}",
                found="only " + self.wave if self.previous else "a first wave",
                hint="Check has_change(instrument) before comparing waves.",
            )
        return stack_waves(
            {self.before.wave: self.before.frames[instrument], self.wave: self.frames[instrument]},
            wave=wave,
        )

    def has_change(self, instrument: str) -> bool:
        """Whether both this and the previous wave have data for ``instrument``."""
        return self.before is not None and instrument in self.before.frames and self.has(instrument)

    def panel_design(
        self,
        instrument: str,
        *,
        wave: str = "wave",
        derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    ) -> SurveyDesign:
        """The design of both waves stacked, for :func:`analysis.estimate.waves.change`.

        Units keep their stratum and PSU labels across waves, so villages surveyed in
        both waves are linked (a panel). An instrument without PSUs (each unit its own
        PSU) is linked across waves by its key (``village_id``). ``derive`` adds
        columns to the stacked frame (e.g. an indicator built from several questions).
        """
        settings = design_settings(self.study, instrument)
        key = self.study.instrument(instrument).key
        if not settings.get("psu") and key:
            settings["psu"] = key
        frame = self.stacked(instrument, wave=wave)
        if derive is not None:
            frame = derive(frame)
        return _build(frame, settings, instrument)


def _code(value: Any) -> str:
    """A choice code as text: 11, 11.0 and '11' are all '11'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_CACHE: dict[tuple, SectionContext] = {}


def _stamp(study: Study, waves: Sequence[str | None]) -> tuple:
    out = []
    for w in waves:
        if w is None:
            continue
        for name in study.instrument_names:
            p = study.cleaned_file(w, name)
            out.append((w, name, p.stat().st_mtime_ns if p.is_file() else None))
    return tuple(out)


def load_context(
    study: Study | str | Path | None = None,
    wave: str | None = None,
    *,
    lang: str | None = None,
) -> SectionContext:
    """Load a wave's cleaned data, designs and the previous wave's, once per process.

    Parameters
    ----------
    study : Study or path, optional
        The study or its root folder (default: found above the working directory).
    wave : str, optional
        The wave to report on (default: the study's last wave).
    lang : {"zh", "en"}, optional
        Report language (default: the study's default language).

    Returns
    -------
    SectionContext
        Cached: a second call with the same arguments, while the cleaned data has
        not changed, returns the same context.

    Raises
    ------
    SectionError
        ``SEC001`` the wave has not been processed, ``SEC003`` unknown wave,
        ``SEC005`` unknown language.
    """
    from ..instrument import load_instrument
    from ..instrument.harmonise import maps_between

    if not isinstance(study, Study):
        study = Study.load(study)
    if wave is None or wave == "":
        if not study.waves:
            raise SectionError(
                "SEC003",
                "the study has no waves to report on",
                file=study.root / "study.toml",
                hint="Create one with `baicun new-wave <name>`.",
            )
        wave = study.waves[-1]
    lang = lang or study.default_language
    if lang not in _LANGS:
        raise SectionError(
            "SEC005",
            f"reports are written in zh or en, not {lang!r}",
            expected="'zh' or 'en'",
            found=repr(lang),
            hint="Pass lang='zh' or lang='en'.",
        )
    previous = previous_wave(study, wave)
    key = (str(study.root), wave, lang, _stamp(study, [wave, previous]))
    if key in _CACHE:
        return _CACHE[key]
    forms = {name: load_instrument(study.form_path(name, wave)) for name in study.instrument_names}
    current = load_wave(study, wave, forms)
    before = None
    if previous is not None:
        try:
            before = load_wave(study, previous, forms, maps_between(study, wave, previous))
        except SectionError as exc:
            if exc.code != "SEC001":
                raise
    ctx = SectionContext(
        study=study,
        wave=wave,
        lang=lang,
        current=current,
        forms=MappingProxyType(forms),
        previous=previous,
        before=before,
    )
    _CACHE.clear()  # one context at a time: a kernel reporting on many waves stays small
    _CACHE[key] = ctx
    return ctx
