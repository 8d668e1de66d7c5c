"""The query worker: one long-lived ``tsmsyncd _worker --serve`` process answers the UI's pandas reads in
order, is started once for many questions, leaves when idle, and is replaced when it dies."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tsmsyncd.errors import NotFoundError, RuleError
from tsmsyncd.sync.runner import QueryWorker


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "settings.json").write_text('{"region": "us"}')
    return tmp_path


async def test_many_questions_one_process_answers_in_order(home: Path) -> None:
    worker = QueryWorker(home, environ=dict(os.environ))
    try:
        answers = await asyncio.gather(*(worker.ask("rules.check", {"where": f"sold_per_day >= {n}"})
                                         for n in range(5)))
        assert all(a == {"valid": True, "errors": []} for a in answers)
        listed = await worker.ask("rules.list", {})
        assert [r["name"] for r in listed["rules"]][:2] == ["Flips", "Deals"]
        assert worker.started == 1
    finally:
        await worker.close()
    assert not worker.alive


async def test_errors_come_back_as_what_they_were(home: Path) -> None:
    worker = QueryWorker(home, environ=dict(os.environ))
    try:
        with pytest.raises(NotFoundError, match="no rule named 'Nope'"):
            await worker.ask("rules.replace", {"name": "Nope", "enabled": False})
        with pytest.raises(RuleError) as caught:
            await worker.ask("rules.add", {"doc": {"name": "Bad", "criteria": {"where": "price >"}}})
        assert caught.value.field == "rule.criteria.where"
        assert await worker.ask("rules.check", {"where": "x"}) != {}  # still the same process, still answering
        assert worker.started == 1
    finally:
        await worker.close()


async def test_an_idle_worker_leaves_and_a_dead_one_is_replaced(home: Path) -> None:
    worker = QueryWorker(home, environ=dict(os.environ), idle=0.2)
    try:
        await worker.ask("rules.check", {"where": "discount > 10%"})
        await asyncio.sleep(1)
        assert not worker.alive  # it was told to go
        await worker.ask("rules.check", {"where": "discount > 10%"})
        assert worker.started == 2
        worker.idle = 60
        await worker.ask("rules.check", {"where": "discount > 10%"})
        assert worker._proc is not None
        worker._proc.kill()  # a crash between two questions
        await worker._proc.wait()
        assert (await worker.ask("rules.check", {"where": "discount >"}))["valid"] is False
        assert worker.started == 3
    finally:
        await worker.close()
