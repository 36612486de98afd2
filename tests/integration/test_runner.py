"""The local runner gives each function what Lambda gives it."""

from __future__ import annotations

import io
import os
from pathlib import Path

from pressrun.emulator.runner import Runner
from pressrun.emulator.stack import LocalFunction, LocalStack
from tests.conftest import ROOT

REPORTS_ENVIRONMENT = "import os\n\n\ndef handler(event, context):\n    return dict(os.environ)\n"


def function(code: Path, name: str, environment: dict[str, str]) -> LocalFunction:
    return LocalFunction(
        name=name,
        code=code,
        handler_name="app.handler",
        environment=environment,
        sources=[],
        memory=128,
        timeout=3,
    )


def test_each_function_sees_the_process_environment_and_its_own_variables_only(
    tmp_path: Path, clean_environment: None
):
    (tmp_path / "app.py").write_text(REPORTS_ENVIRONMENT)
    os.environ["SET_BEFORE_THE_RUNNER"] = "base"
    stack = LocalStack(ROOT)
    stack.functions = [
        function(tmp_path, "First", {"ONLY_FIRST_HAS_IT": "1", "BOTH_HAVE_IT": "first"}),
        function(tmp_path, "Second", {"BOTH_HAVE_IT": "second"}),
    ]
    runner = Runner(stack, log=io.StringIO())

    seen_by_first = runner.invoke("First", {})
    seen_by_second = runner.invoke("Second", {})

    assert (seen_by_first["ONLY_FIRST_HAS_IT"], seen_by_first["BOTH_HAVE_IT"]) == ("1", "first")
    assert "ONLY_FIRST_HAS_IT" not in seen_by_second
    assert seen_by_second["BOTH_HAVE_IT"] == "second"
    assert seen_by_first["SET_BEFORE_THE_RUNNER"] == seen_by_second["SET_BEFORE_THE_RUNNER"] == "base"
    # Between invocations the process is itself again: nothing of either function stays behind.
    assert "ONLY_FIRST_HAS_IT" not in os.environ
    assert "BOTH_HAVE_IT" not in os.environ


def test_the_runner_tells_whose_invocation_is_running_and_how_long_each_took(
    tmp_path: Path, clean_environment: None
):
    (tmp_path / "app.py").write_text(
        "import time\n\n\ndef handler(event, context):\n"
        "    time.sleep(event['sleep'])\n    return event['runner'].running\n"
    )
    stack = LocalStack(ROOT)
    stack.functions = [function(tmp_path, "Slow", {}), function(tmp_path, "Quick", {})]
    told: list[tuple[str, float]] = []
    runner = Runner(
        stack, log=io.StringIO(), on_invocation=lambda name, seconds: told.append((name, seconds))
    )

    running_in_slow = runner.invoke("Slow", {"sleep": 0.05, "runner": runner})
    running_in_quick = runner.invoke("Quick", {"sleep": 0, "runner": runner})

    assert (running_in_slow, running_in_quick, runner.running) == ("Slow", "Quick", None)
    assert [name for name, _ in told] == ["Slow", "Quick"]
    assert told[0][1] >= 0.05 > told[1][1]
