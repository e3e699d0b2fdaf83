"""What the entry app serves: the store, the wave, and the forms offered for entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..instrument.model import Instrument
from .store import EntryStore

__all__ = ["EntrySite", "FormSpec"]


@dataclass(frozen=True)
class FormSpec:
    """An instrument offered for entry: its name in the study, the form, the key question."""

    name: str
    instrument: Instrument
    key: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.instrument.title or self.name


@dataclass(frozen=True)
class EntrySite:
    """Everything the app serves: the store, the wave, the forms."""

    store: EntryStore
    wave: str
    forms: Mapping[str, FormSpec]
    #: Set the cookies' Secure flag (when served behind HTTPS).
    secure_cookies: bool = False
    #: Host names accepted in the Host header (None: any); guards against DNS rebinding.
    trusted_hosts: tuple[str, ...] | None = None
    #: The study's name per language ({"zh": ..., "en": ...}).
    study_names: Mapping[str, str] = field(default_factory=dict)
    #: Forms whose screen starts with auto-advance on (each clerk can switch it).
    auto_advance: frozenset[str] = frozenset()

    def study_name(self, lang: str) -> str:
        return self.study_names.get(lang) or self.study_names.get("zh") or ""
