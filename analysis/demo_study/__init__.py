"""The embedded demo study: a seeded synthetic province and its two waves of raw exports.

* :mod:`.geography` — 12 counties and their townships (fixed, seed-independent);
* :mod:`.population` — villages, facilities, every household, and the population truth;
* :mod:`.sample` — stratified PPS villages, systematic households, cadres (through
  :mod:`analysis.sampling`);
* :mod:`.answers` and :mod:`.texts` — every answer to every question of the instruments;
* :mod:`.waves` — fieldwork of 2024 and 2025 (village panel, half the households again);
* :mod:`.dirt` — realistic problems, each recorded;
* :mod:`.exports` — KoboToolbox CSV, ODK Central zip, Excel-saved GBK CSV, corrections.csv;
* :mod:`.generate` — :func:`generate_demo`, the whole thing from one seed;
* :mod:`.coverage` — repeated sampling: 95% CI coverage of the key indicators;
* :mod:`.commands` — ``baicun demo generate``.
"""

from .generate import generate_demo
from .population import INDICATORS, WAVES, Province, build_province, population_truth

__all__ = ["INDICATORS", "WAVES", "Province", "build_province", "generate_demo", "population_truth"]
