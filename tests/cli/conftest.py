"""Fixtures of the CLI tests: the fake Blizzard server on loopback and the environment a player would give
the real ``tsmsyncd`` process (credentials and URLs through the environment, a data folder in tmp)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from clirun import SECRET

from tsmsyncd.blizzard.fake import FakeBlizzard


@pytest.fixture
async def fake() -> AsyncIterator[FakeBlizzard]:
    async with FakeBlizzard(commodity_rows=2000, realm_rows=1500) as server:
        yield server


@pytest.fixture
def env(fake: FakeBlizzard, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TSMSYNCD_HOME": str(tmp_path / "home"),
        "TSMSYNCD_BLIZZARD_API_URL": fake.api_url,
        "TSMSYNCD_BLIZZARD_OAUTH_URL": fake.oauth_url,
        "TSMSYNCD_BLIZZARD_CLIENT_ID": "fake-client-id",
        "TSMSYNCD_BLIZZARD_CLIENT_SECRET": SECRET,
    }
