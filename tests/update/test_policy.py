"""Which release is offered, what is refused as a downgrade or a replay, and when the daemon looks again
(update/policy.py): pure, with versions, state and a clock handed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from packaging.version import Version

from tsmsyncd.errors import UpdateError
from tsmsyncd.update.policy import (
    FIRST_CHECK,
    Status,
    UpdateState,
    backoff,
    judge,
    next_check,
    pip_command,
    platform_key,
)

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
V = Version


def verdict(offered: str, current: str = "0.2.0", state: UpdateState | None = None, build: bool = True) -> Status:
    return judge(V(offered), channel="stable", current=V(current), state=state or UpdateState(),
                 has_build=build).status


def test_a_newer_version_is_offered_the_same_one_is_up_to_date() -> None:
    assert verdict("0.3.0") is Status.AVAILABLE
    assert verdict("0.2.0") is Status.UP_TO_DATE
    assert verdict("0.10.0", current="0.9.1") is Status.AVAILABLE  # versions compare as versions, not text
    assert verdict("0.3.0", build=False) is Status.NO_BUILD


def test_an_older_version_than_the_installed_one_is_a_refused_downgrade() -> None:
    with pytest.raises(UpdateError) as caught:
        verdict("0.1.9")
    assert caught.value.reason == "downgrade" and "older than the installed 0.2.0" in str(caught.value)


def test_an_older_manifest_than_one_seen_before_is_a_refused_replay() -> None:
    state = UpdateState().verified("stable", V("0.4.0"), V("0.2.0"), NOW)
    with pytest.raises(UpdateError) as caught:
        verdict("0.3.0", state=state)
    assert caught.value.reason == "replay" and "0.4.0 was seen there before" in str(caught.value)
    assert verdict("0.4.0", state=state) is Status.AVAILABLE  # the same one again is fine


def test_each_channel_remembers_its_own_highest_version() -> None:
    state = UpdateState().verified("beta", V("0.5.0b1"), V("0.2.0"), NOW)
    assert verdict("0.3.0", state=state) is Status.AVAILABLE
    assert state.highest("stable", V("0.2.0")) == V("0.2.0")


def test_a_version_rolled_back_from_is_not_offered_again_a_newer_one_is() -> None:
    state = UpdateState(rolled_back_from="0.3.0")
    assert verdict("0.3.0", state=state) is Status.SKIPPED
    assert verdict("0.3.1", state=state) is Status.AVAILABLE


def test_the_state_survives_json_and_a_damaged_one_reads_as_empty() -> None:
    state = UpdateState().verified("stable", V("0.3.0"), V("0.2.0"), NOW).told(V("0.3.0"))
    assert UpdateState.from_json(state.as_json()) == state
    assert UpdateState.from_json({"format": "other"}) == UpdateState()
    damaged = {**state.as_json(), "seen": {"stable": "no version"}, "notified": "x", "last_success": "never"}
    assert UpdateState.from_json(damaged) == UpdateState()


def test_the_player_is_told_once_per_version() -> None:
    state = UpdateState().told(V("0.3.0")).told(V("0.3.0"))
    assert state.notified == ("0.3.0",)


def test_failures_back_off_from_an_hour_to_a_day_never_sooner() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(hours=h) for h in (1, 2, 4, 8)]
    assert backoff(6) == timedelta(days=1) and backoff(60) == timedelta(days=1)
    after = next_check(NOW, last_success=None, failures=1, jitter=0.0)
    assert after == NOW + timedelta(hours=1)


def test_checks_are_daily_with_up_to_two_hours_of_jitter() -> None:
    earliest = next_check(NOW, last_success=NOW, failures=0, jitter=0.0)
    latest = next_check(NOW, last_success=NOW, failures=0, jitter=0.999)
    assert earliest == NOW + timedelta(days=1)
    assert timedelta(hours=1, minutes=59) < latest - earliest < timedelta(hours=2)


def test_a_daemon_that_starts_waits_a_little_and_honours_the_last_good_check() -> None:
    assert next_check(NOW, last_success=None, failures=0, jitter=0.0, started=True) == NOW + FIRST_CHECK
    recent = NOW - timedelta(hours=3)
    assert next_check(NOW, last_success=recent, failures=0, jitter=0.0, started=True) == recent + timedelta(days=1)
    old = NOW - timedelta(days=5)
    assert next_check(NOW, last_success=old, failures=0, jitter=0.0, started=True) == NOW + FIRST_CHECK


@pytest.mark.parametrize(("system", "machine", "key"), [
    ("linux", "x86_64", "linux-x86_64"), ("linux", "aarch64", "linux-arm64"), ("win32", "AMD64", "windows-x86_64"),
    ("darwin", "arm64", "macos-arm64"), ("freebsd13", "amd64", None), ("linux", "riscv64", None),
])
def test_platform_keys(system: str, machine: str, key: str | None) -> None:
    assert platform_key(system, machine) == key


def test_the_pip_command_pins_the_offered_version() -> None:
    assert pip_command("/venv/bin/python", V("0.3.0"), "/venv") == [
        "/venv/bin/python", "-m", "pip", "install", "--upgrade", "tsmsyncd==0.3.0"]
    assert pip_command("/x/python", V("0.3.0"), "/home/me/.local/share/pipx/venvs/tsmsyncd")[:3] == [
        "pipx", "install", "--force"]
