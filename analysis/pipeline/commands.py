"""``baicun init``, ``baicun estimates import``, ``baicun run``, ``baicun new-wave`` and
``baicun status``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..study import Study

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the wave commands to the command line."""
    run = subparsers.add_parser(
        "run",
        help="run a wave: read, correct, validate, write the processed data, estimate, report",
        description="Run the wave pipeline. Exit status 0: done; 1: the wave has blocking problems; 2: error.",
    )
    run.add_argument("--wave", required=True, help="the wave's folder name under data/raw/")
    run.add_argument(
        "--lang",
        choices=("zh", "en"),
        default=None,
        help="language of labels and report (default: the study's)",
    )
    run.add_argument(
        "--force", action="store_true", help="re-run every step even when nothing changed"
    )
    run.set_defaults(func=_cmd_run)

    new = subparsers.add_parser(
        "new-wave", help="create data/raw/<wave>/ with a corrections.csv template and a README"
    )
    new.add_argument("wave")
    new.set_defaults(func=_cmd_new_wave)

    status = subparsers.add_parser("status", help="what each wave has and what is stale")
    status.set_defaults(func=_cmd_status)

    init = subparsers.add_parser(
        "init",
        help="make a new study folder from the team's XLSForms",
        description="Make DIR a study: the forms copied into surveys/, a study.toml declaring "
        "them (key inferred, simple random sample designs), the raw, processed, report and "
        "notebook folders and a README. An existing study.toml is never overwritten.",
    )
    init.add_argument("dir", type=Path, help="the new study's folder (created if needed)")
    init.add_argument(
        "forms",
        nargs="+",
        metavar="FORM",
        help="XLSForm (.xlsx/.xls, or a survey CSV with its choices CSV beside it); "
        "NAME=PATH names the instrument (default: the file's name)",
    )
    init.add_argument("--name", default=None, help="the study's name (default: DIR's name)")
    init.set_defaults(func=_cmd_init)

    plan = subparsers.add_parser(
        "estimates",
        help="declare estimate tables: `baicun estimates import LOA` reads a list of analyses",
    )
    plan_sub = plan.add_subparsers(dest="estimates_command", metavar="COMMAND", required=True)
    loa = plan_sub.add_parser(
        "import",
        help="append a REACH/IMPACT list of analyses (CSV) to study.toml as [[estimates]]",
        description="Read a list of analyses (analysis_type, analysis_var, group_var, level) "
        "and append one [[estimates]] table per analysis to study.toml. The file is only "
        "appended to, and put back if the result does not load.",
    )
    loa.add_argument("loa", type=Path, help="the list-of-analyses CSV")
    loa.add_argument("--instrument", required=True, help="the instrument the analyses are of")
    loa.add_argument(
        "--skip-unknown",
        action="store_true",
        help="leave out analysis types baicun has no table for (named in a warning)",
    )
    loa.set_defaults(func=_cmd_estimates_import)


def _cmd_init(args: argparse.Namespace) -> int:
    from .init import init_study

    study = init_study(args.dir, args.forms, name=args.name)
    print(f"made study '{study.name}' in {study.root}:")
    for name in study.instrument_names:
        spec = study.instrument(name)
        print(f"  {name}: {spec.form.relative_to(study.root).as_posix()} (key {spec.key})")
    print("next: check study.toml, then `baicun new-wave NAME` inside the folder")
    return 0


def _cmd_estimates_import(args: argparse.Namespace) -> int:
    from .analysis_plan import add_to_study, import_analysis_plan

    study = Study.load(args.study)
    study.instrument(args.instrument)  # STU005 for an unknown instrument
    entries = import_analysis_plan(
        args.loa, instrument=args.instrument, unknown="skip" if args.skip_unknown else "error"
    )
    add_to_study(study, entries, source=args.loa.name)
    print(f"added {len(entries)} [[estimates]] tables to study.toml (from {args.loa.name})")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .wave import closing_line, run_wave

    study = Study.load(args.study)
    print(f"baicun run: {study.name}, wave {args.wave}")
    result = run_wave(study, args.wave, lang=args.lang, force=args.force)
    seconds = sum(r.seconds for r in result.steps)
    out = study.processed_dir(args.wave).relative_to(study.root)
    print(f"outputs in {out}/ ({seconds:.1f}s); manifest: {result.manifest.name}")
    print(closing_line(study, result))
    return 1 if result.blocking else 0


def _cmd_new_wave(args: argparse.Namespace) -> int:
    from .folders import new_wave

    study = Study.load(args.study)
    folder = new_wave(study, args.wave)
    print(
        f"created {folder.relative_to(study.root)}/: copy the field exports there, then run `baicun run --wave {args.wave}`"
    )
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from .folders import wave_status

    study = Study.load(args.study)
    table = wave_status(study)
    if table.empty:
        print("no waves yet: create one with `baicun new-wave NAME`")
        return 0
    print(table.to_string(index=False))
    return 0
