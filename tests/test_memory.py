"""The baicun command puts pyarrow on the system allocator, unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = (
    "import pyarrow as pa\n"
    "from analysis.pipeline.memory import use_one_allocator\n"
    "print(use_one_allocator(), pa.default_memory_pool().backend_name)\n"
)


def _run(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if env_value is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = env_value
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


def test_pyarrow_already_imported_is_switched_to_the_system_allocator():
    assert _run(None) == "system system"


@pytest.mark.parametrize("choice", ["mimalloc", "jemalloc"])
def test_a_choice_in_the_environment_is_kept(choice):
    import pyarrow as pa

    if choice not in pa.supported_memory_backends():
        pytest.skip(f"this pyarrow build has no {choice} allocator")
    assert _run(choice) == f"{choice} {choice}"


def test_the_console_command_is_the_one_that_chooses():
    from analysis import cli

    assert "use_one_allocator" in cli.command.__code__.co_names
    entry = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.metadata as m; "
            "print([e.value for e in m.entry_points(group='console_scripts') if e.name == 'baicun'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "analysis.cli:command" in entry.stdout
