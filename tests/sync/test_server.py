"""Group server mode's tokens and realms, on a real database: a token is shown once and kept only as a
hash, checked in constant time against the row read now (a revoke holds from the next check), counted in
batches; the realms refreshed are the tokens' own, then what clients asked for, up to the cap (issue 17)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tsmsyncd.config import ServerLimits, Settings
from tsmsyncd.db import realms as realms_db
from tsmsyncd.db.realms import RealmInfo
from tsmsyncd.errors import FieldError, InputError, NotFoundError
from tsmsyncd.market.sources import RealmKey
from tsmsyncd.store.writer import DbWriter
from tsmsyncd.sync.server import TokenService, choose_realms, hash_secret, parse_rate, parse_token, realm_keys


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[DbWriter]:
    db = DbWriter(tmp_path / "tsmsyncd.db")
    yield db
    db.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(writer: DbWriter, clock: Clock) -> TokenService:
    return TokenService(writer, lambda: Settings(region="eu", server=ServerLimits(max_realms=3)), clock)


async def test_a_token_is_shown_once_and_only_its_hash_is_kept(tokens: TokenService, tmp_path: Path) -> None:
    token, record = await tokens.create("alice", ["1305", "us/3678"])
    parsed = parse_token(token)
    assert parsed is not None and parsed[0] == record.id and record.realms == ("eu/1305", "us/3678")
    conn = sqlite3.connect(tmp_path / "tsmsyncd.db")
    try:
        stored = conn.execute("select * from server_tokens").fetchall()
    finally:
        conn.close()
    assert token not in repr(stored) and parsed[1] not in repr(stored)
    assert any(hash_secret(parsed[1]) in row for row in stored)
    assert "hash" not in record.as_json() and token not in repr(record)


async def test_the_right_token_passes_and_a_wrong_one_of_the_same_id_does_not(tokens: TokenService) -> None:
    token, record = await tokens.create("alice")
    ok = await tokens.check(token)
    assert ok.record is not None and ok.record.name == "alice"
    token_id, secret = parse_token(token)  # type: ignore[misc]
    forged = f"tsms_{token_id}_{'A' * 43}"
    for wrong in (forged, "tsms_00000000_" + secret, "not-a-token", "", token + "x"):
        refused = await tokens.check(wrong)
        assert refused.record is None and refused.code == "unauthorized" and refused.reason


async def test_a_revoked_token_is_refused_at_the_next_check_saying_so(tokens: TokenService) -> None:
    token, _ = await tokens.create("alice")
    assert (await tokens.check(token)).record is not None
    revoked = await tokens.revoke("alice")
    assert revoked.revoked_at is not None
    refused = await tokens.check(token)
    assert refused.record is None and refused.code == "token_revoked" and "revoked" in refused.reason


async def test_names_are_checked_unique_among_active_tokens_and_a_revoked_name_can_be_reused(
        tokens: TokenService) -> None:
    await tokens.create("alice")
    with pytest.raises(InputError, match="already a token named 'alice'"):
        await tokens.create("alice")
    for bad in ("", " ", "a" * 65, "new\nline", "-dash-first"):
        with pytest.raises(FieldError) as refused:
            await tokens.create(bad)
        assert refused.value.field == "name"
    old, _ = await tokens.create("bob")
    await tokens.revoke("bob")
    new, _ = await tokens.create("bob")
    assert (await tokens.check(new)).record is not None
    assert (await tokens.check(old)).record is None  # the old one stays dead
    with pytest.raises(NotFoundError, match="no active token named 'carol'"):
        await tokens.revoke("carol")


async def test_usage_is_counted_in_memory_and_written_in_one_batch(tokens: TokenService, clock: Clock) -> None:
    _, alice = await tokens.create("alice")
    clock.now += timedelta(minutes=1)
    for _ in range(3):
        tokens.count(alice.id, realm=RealmKey("eu", 1305))
    tokens.count(alice.id, limited=True)
    assert (await tokens.all())[0].requests == 0  # nothing written per request
    await tokens.flush()
    listed = (await tokens.all())[0]
    assert (listed.requests, listed.limited, listed.last_used) == (3, 1, clock.now)
    await tokens.flush()  # nothing new: nothing changes
    assert (await tokens.all())[0].requests == 3


async def test_the_realms_refreshed_are_the_tokens_own_then_the_newest_asked_for_up_to_the_cap(
        tokens: TokenService, clock: Clock) -> None:
    _, alice = await tokens.create("alice", ["1305"])
    _, bob = await tokens.create("bob")
    for number in (1, 2, 3):
        clock.now += timedelta(minutes=1)
        tokens.count(bob.id, realm=RealmKey("eu", number))
    await tokens.flush()
    chosen, left = await tokens.wanted_realms()
    assert [str(r) for r in chosen] == ["eu/1305", "eu/3", "eu/2"] and [str(r) for r in left] == ["eu/1"]
    await tokens.revoke("bob")  # a revoked client's wishes go with it
    chosen, left = await tokens.wanted_realms()
    assert [str(r) for r in chosen] == ["eu/1305"] and left == []


async def test_a_realm_the_realm_list_does_not_know_is_never_refreshed(tokens: TokenService, writer: DbWriter,
                                                                      clock: Clock) -> None:
    await writer(realms_db.save_realms, "eu", [RealmInfo("eu", 1305, 1305, "Draenor", "draenor", "", "")], clock.now)
    _, bob = await tokens.create("bob")
    for number in (1305, 999999):
        tokens.count(bob.id, realm=RealmKey("eu", number))
    tokens.count(bob.id, realm=RealmKey("kr", 205))  # no realm list of kr stored: cannot say, so taken
    await tokens.flush()
    chosen, _ = await tokens.wanted_realms()
    assert sorted(str(r) for r in chosen) == ["eu/1305", "kr/205"]


async def test_what_clients_asked_for_a_week_ago_is_no_longer_refreshed(tokens: TokenService, clock: Clock) -> None:
    _, bob = await tokens.create("bob")
    tokens.count(bob.id, realm=RealmKey("eu", 7))
    await tokens.flush()
    clock.now += timedelta(days=8)
    assert await tokens.wanted_realms() == ([], [])


def test_choose_realms_takes_each_realm_once_and_skips_what_does_not_read() -> None:
    chosen, left = choose_realms(["us/1", "us/2", "nonsense"], ["us/2", "us/3", "us/4"], 3)
    assert [str(r) for r in chosen] == ["us/1", "us/2", "us/3"] and [str(r) for r in left] == ["us/4"]


@pytest.mark.parametrize(("text", "per_second", "burst"), [("60/min", 1.0, 60), ("2/h", 2 / 3600, 2),
                                                            ("5/s", 5.0, 5), ("30", 0.5, 30), ("1/day", 1 / 86400, 1)])
def test_a_tokens_own_rate_reads_as_a_count_per_unit(text: str, per_second: float, burst: int) -> None:
    assert parse_rate(text) == (pytest.approx(per_second), burst)


@pytest.mark.parametrize("text", ["0/min", "fast", "10/fortnight", "-1/h", "100001/s"])
def test_a_rate_that_does_not_read_names_the_field(text: str) -> None:
    with pytest.raises(FieldError) as refused:
        parse_rate(text)
    assert refused.value.field == "rate"


def test_realms_take_bare_ids_in_the_servers_region_or_keys() -> None:
    settings = Settings(region="us")
    assert realm_keys(["3678", "eu/1305", "us/classic-era/4372", 3678], settings) == [
        "us/3678", "eu/1305", "us/classic-era/4372"]
    for bad in ("0", "x/1", "illidan"):
        with pytest.raises(FieldError):
            realm_keys([bad], settings)
