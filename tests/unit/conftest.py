from __future__ import annotations

import pytest

from tests.fakes import RecordingAlerts


@pytest.fixture
def alerts() -> RecordingAlerts:
    return RecordingAlerts()
