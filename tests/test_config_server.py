"""The settings of group server mode and of a client of one (issue 17): ``group_source`` (a server's URL,
its token: a secret shown only as "(set)", a CA file, the poll interval) and ``server`` (its limits), each
field checked and named when wrong, kept through a save and a load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tsmsyncd.config import GroupSource, ServerLimits, Settings, load_settings, save_settings
from tsmsyncd.errors import SettingsError

TOKEN = "tsms_0123abcd_" + "s" * 43


def test_a_group_source_round_trips_through_settings_json_and_its_token_is_never_shown(tmp_path: Path) -> None:
    env = {"TSMSYNCD_HOME": str(tmp_path)}
    settings = Settings(group_source=GroupSource("https://guild.example:8443/", TOKEN, ca_file="/etc/ca.pem"),
                        server=ServerLimits(max_realms=5))
    path = save_settings(settings, env)
    assert path.stat().st_mode & 0o777 == 0o600  # it holds the token
    loaded = load_settings(env)
    assert loaded == Settings(group_source=GroupSource("https://guild.example:8443", TOKEN, ca_file="/etc/ca.pem"),
                              server=ServerLimits(max_realms=5))
    shown = loaded.public()
    assert shown["group_source"] == {"url": "https://guild.example:8443", "token": "(set)", "ca_file": "/etc/ca.pem",
                                     "poll_seconds": 300.0, "insecure_http": False}
    assert TOKEN not in json.dumps(shown) and TOKEN not in repr(loaded)


def test_no_group_source_is_the_default_and_null_reads_as_none(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"group_source": null}')
    assert load_settings({"TSMSYNCD_HOME": str(tmp_path)}).group_source is None
    assert Settings().public()["group_source"] is None


@pytest.mark.parametrize(("doc", "field"), [
    ({"url": "http://guild.example", "token": TOKEN}, "group_source.url"),  # a token must not cross a network plain
    ({"url": "ftp://guild.example", "token": TOKEN}, "group_source.url"),
    ({"url": "https://guild.example:port", "token": TOKEN}, "group_source.url"),
    ({"url": "https://guild.example", "token": "short"}, "group_source.token"),
    ({"url": "https://guild.example", "token": TOKEN + " x"}, "group_source.token"),
    ({"url": "https://guild.example"}, "group_source.token"),
    ({"url": "https://guild.example", "token": TOKEN, "poll_seconds": 0}, "group_source.poll_seconds"),
    ({"url": "https://guild.example", "token": TOKEN, "ca_file": ""}, "group_source.ca_file"),
    ({"url": "https://guild.example", "token": TOKEN, "colour": "red"}, "group_source.colour"),
    ({"url": "https://guild.example", "token": TOKEN, "insecure_http": "yes"}, "group_source.insecure_http"),
    ("https://guild.example", "group_source"),
])
def test_a_wrong_group_source_names_its_field(tmp_path: Path, doc: object, field: str) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"group_source": doc}))
    with pytest.raises(SettingsError) as refused:
        load_settings({"TSMSYNCD_HOME": str(tmp_path)})
    assert refused.value.field == field


def test_plain_http_is_for_this_machine_or_when_asked_for() -> None:
    assert GroupSource("http://127.0.0.2:8080", TOKEN).url == "http://127.0.0.2:8080"
    assert GroupSource("http://guild.lan:8080", TOKEN, insecure_http=True).insecure_http


@pytest.mark.parametrize(("doc", "field"), [
    ({"max_realms": 0}, "server.max_realms"), ({"burst": 1.5}, "server.burst"),
    ({"per_token_per_minute": -1}, "server.per_token_per_minute"), ({"global_per_second": True},
                                                                    "server.global_per_second"),
    ({"workers": 4}, "server.workers"), ([], "server"),
])
def test_wrong_server_limits_name_their_field(tmp_path: Path, doc: object, field: str) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"server": doc}))
    with pytest.raises(SettingsError) as refused:
        load_settings({"TSMSYNCD_HOME": str(tmp_path)})
    assert refused.value.field == field
