"""The signed manifest: the signature is checked on the bytes as they came, before anything is parsed,
and every field is checked by name (update/manifest.py)."""

from __future__ import annotations

import base64
import json

import pytest
from releasekit import Keys, manifest

from tsmsyncd.errors import UpdateError
from tsmsyncd.update.keys import RELEASE_KEYS, key_id
from tsmsyncd.update.manifest import parse_manifest, verified_manifest, verify

KEYS = Keys()


def refused(data: bytes, signature: bytes, reason: str, channel: str = "stable",
            keys: tuple[str, ...] = (KEYS.public,)) -> str:
    with pytest.raises(UpdateError) as caught:
        verified_manifest(data, signature, channel, keys)
    assert caught.value.reason == reason, str(caught.value)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_a_signed_manifest_is_read_with_its_platforms() -> None:
    doc = manifest("0.3.0", archive=b"x" * 10, url="https://example.org/tsmsyncd-0.3.0.tar.gz")
    got = verified_manifest(doc, KEYS.sign(doc), "stable", (KEYS.public,))
    assert str(got.version) == "0.3.0" and got.channel == "stable" and got.notes == "Faster merges."
    artifact = got.artifact("linux-x86_64")
    assert artifact is not None and artifact.size == 10 and artifact.format == "tar.gz"
    assert got.artifact("windows-x86_64") is None
    assert json.loads(json.dumps(got.as_json()))["platforms"]["linux-x86_64"]["size"] == 10


def test_a_changed_byte_or_another_key_or_a_short_signature_is_refused() -> None:
    doc = manifest("0.3.0")
    tampered = doc.replace(b"0.3.0", b"0.3.1")
    assert "changed after signing" in refused(tampered, KEYS.sign(doc), "signature")
    assert "signed with another key" in refused(doc, Keys().sign(doc), "signature")
    truncated = base64.b64encode(base64.b64decode(KEYS.sign(doc))[:40])
    assert "truncated" in refused(doc, truncated, "signature")
    assert "not base64" in refused(doc, b"not a signature!", "signature")
    assert "not one line" in refused(doc, b"A" * 5000, "signature")
    assert "not one line" not in refused(doc, b"", "signature")


def test_nothing_is_parsed_before_the_signature_holds() -> None:
    """Bytes that are not even JSON fail on their signature, not in the parser."""
    assert "does not verify" in refused(b"{not json", KEYS.sign(b"something else"), "signature")


def test_a_build_without_a_usable_key_trusts_nothing() -> None:
    doc = manifest("0.3.0")
    assert "no release key" in refused(doc, KEYS.sign(doc), "no_key", keys=("@RELEASE_KEY@",))


def test_the_shipped_key_is_a_real_ed25519_key_and_rejects_a_test_signature() -> None:
    assert len(RELEASE_KEYS) >= 1 and all(len(base64.b64decode(k)) == 32 for k in RELEASE_KEYS)
    doc = manifest("0.3.0")
    with pytest.raises(UpdateError, match="does not verify"):
        verify(doc, KEYS.sign(doc))  # the program's own keys: a throwaway key's signature means nothing
    assert len(key_id(RELEASE_KEYS[0])) == 16


def test_a_beta_manifest_served_as_the_stable_one_is_refused() -> None:
    doc = manifest("0.4.0b1", channel="beta")
    assert "for the beta channel" in refused(doc, KEYS.sign(doc), "channel")


@pytest.mark.parametrize(("change", "field"), [
    ({"format": "tsmsyncd.release/2"}, "format"),
    ({"version": "not a version"}, "version"),
    ({"version": 3}, "version"),
    ({"date": "yesterday"}, "date"),
    ({"date": "2027-01-10T12:00:00"}, "date"),
    ({"notes": ["a"]}, "notes"),
    ({"platforms": []}, "platforms"),
    ({"colour": "blue"}, "colour"),
    ({"platforms": {"amiga-m68k": {}}}, "platforms.amiga-m68k"),
    ({"platforms": {"linux-x86_64": {"url": "https://e.org/a", "size": 0, "sha256": "0" * 64,
                                     "format": "tar.gz"}}}, "platforms.linux-x86_64.size"),
    ({"platforms": {"linux-x86_64": {"url": "https://e.org/a", "size": True, "sha256": "0" * 64,
                                     "format": "tar.gz"}}}, "platforms.linux-x86_64.size"),
    ({"platforms": {"linux-x86_64": {"url": "https://e.org/a", "size": 10, "sha256": "ABC",
                                     "format": "tar.gz"}}}, "platforms.linux-x86_64.sha256"),
    ({"platforms": {"linux-x86_64": {"url": "https://e.org/a", "size": 10, "sha256": "0" * 64,
                                     "format": "rar"}}}, "platforms.linux-x86_64.format"),
    ({"platforms": {"linux-x86_64": {"url": "http://example.org/a", "size": 10, "sha256": "0" * 64,
                                     "format": "zip"}}}, "platforms.linux-x86_64.url"),
    ({"platforms": {"linux-x86_64": {"url": "https://u:p@example.org/a", "size": 10, "sha256": "0" * 64,
                                     "format": "zip"}}}, "platforms.linux-x86_64.url"),
    ({"platforms": {"linux-x86_64": {"url": "https://e.org/a", "size": 10, "sha256": "0" * 64}}},
     "platforms.linux-x86_64.format"),
])
def test_each_field_is_checked_by_name(change: dict[str, object], field: str) -> None:
    doc = json.loads(manifest("0.3.0"))
    doc.update(change)
    with pytest.raises(UpdateError) as caught:
        parse_manifest(json.dumps(doc).encode(), "stable")
    assert caught.value.reason == "manifest" and f"manifest's {field} " in str(caught.value)


def test_duplicate_keys_and_huge_manifests_are_refused() -> None:
    with pytest.raises(UpdateError, match="twice"):
        parse_manifest(b'{"version": "1.0", "version": "9.0"}', "stable")
    big = manifest("0.3.0", notes="x" * 70_000)
    assert "far smaller" in refused(big, KEYS.sign(big), "manifest")


def test_plain_http_is_allowed_only_to_this_machine() -> None:
    doc = manifest("0.3.0", archive=b"x", url="http://127.0.0.1:8000/a.tar.gz")
    assert verified_manifest(doc, KEYS.sign(doc), "stable", (KEYS.public,)).artifact("linux-x86_64") is not None
