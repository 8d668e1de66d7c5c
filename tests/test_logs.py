"""The log file never carries a secret, whoever tries to log one."""

from __future__ import annotations

import logging
from pathlib import Path

from tsmsyncd.logs import setup_file_logging


def test_secrets_and_credentials_are_blanked_in_the_log_file(tmp_path: Path) -> None:
    path = setup_file_logging(tmp_path / "logs", secrets=["s3cr3t-value"])
    log = logging.getLogger("some.library")
    try:
        log.warning("request with Authorization: Bearer abc.def-123 failed")
        log.warning("posting client_secret=%s&grant_type=x", "s3cr3t-value")
        log.warning("Basic ZmFrZTpzM2NyM3Q= sent, then %s", "s3cr3t-value")
    finally:
        for handler in logging.getLogger().handlers[:]:
            if getattr(handler, "baseFilename", None) == str(path):
                logging.getLogger().removeHandler(handler)
                handler.close()
    text = path.read_text()
    assert "abc.def-123" not in text and "s3cr3t-value" not in text and "ZmFrZTpzM2NyM3Q=" not in text
    assert text.count("[redacted]") == 4 and "request with Authorization: Bearer [redacted] failed" in text


def test_a_group_server_token_is_blanked_wherever_it_appears(tmp_path: Path) -> None:
    """Group server tokens (issue 17) have a shape of their own; the filter knows it without being told."""
    path = setup_file_logging(tmp_path / "logs")
    token = "tsms_0a1b2c3d_" + "Zx9-_" * 8 + "abc"
    try:
        logging.getLogger("anything").warning("a client sent %s (or token=%s)", token, token)
    finally:
        for handler in logging.getLogger().handlers[:]:
            if getattr(handler, "baseFilename", None) == str(path):
                logging.getLogger().removeHandler(handler)
                handler.close()
    text = path.read_text()
    assert token not in text and "Zx9-_" not in text and text.count("[redacted]") == 2


def test_the_scheduler_chatter_stays_out_of_the_log_file(tmp_path: Path) -> None:
    """A job run every few seconds must not push weeks of applies and errors out of the rotating log."""
    path = setup_file_logging(tmp_path)
    try:
        logging.getLogger("apscheduler.executors.default").info('Running job "Schedule._run"')
        logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
        logging.getLogger("tsmsyncd.engine").info("applied")
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = path.read_text()
        assert "Running job" not in text and "was missed" in text and "applied" in text
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "baseFilename", None) == str(path):
                logging.getLogger().removeHandler(handler)
                handler.close()
