"""Settings added for the tray: one switch per notification kind and whether autostart was asked about,
read from and written to a real settings.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tsmsyncd.config import Settings, load_settings, save_settings
from tsmsyncd.errors import SettingsError

FLAGS = ("notify_applied", "notify_failed", "notify_refresh", "notify_watch")


def test_notifications_are_on_and_autostart_not_yet_asked_by_default() -> None:
    settings = Settings()
    assert all(getattr(settings, flag) is True for flag in FLAGS)
    assert settings.autostart_asked is False


def test_the_switches_round_trip_through_settings_json(tmp_path: Path) -> None:
    env = {"TSMSYNCD_HOME": str(tmp_path)}
    save_settings(Settings(notify_refresh=False, autostart_asked=True), env)
    stored = json.loads((tmp_path / "settings.json").read_text())
    assert stored["notify_refresh"] is False and stored["autostart_asked"] is True
    loaded = load_settings(env)
    assert loaded.notify_refresh is False and loaded.notify_applied is True and loaded.autostart_asked is True
    assert loaded.public()["notify_watch"] is True


@pytest.mark.parametrize("flag", [*FLAGS, "autostart_asked"])
@pytest.mark.parametrize("value", ["false", 0, 1, None])
def test_a_switch_must_be_true_or_false(tmp_path: Path, flag: str, value: object) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({flag: value}))
    with pytest.raises(SettingsError) as caught:
        load_settings({"TSMSYNCD_HOME": str(tmp_path)})
    assert caught.value.field == flag and "true or false" in str(caught.value)
