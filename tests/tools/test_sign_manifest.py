"""tools/sign_manifest.py as the release manager runs it: a key pair that is never overwritten, a
signature the program's verifier accepts, and no signature for a manifest the program would refuse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from releasekit import manifest

TOOL = Path(__file__).resolve().parent.parent.parent / "tools" / "sign_manifest.py"


def run(*args: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_keygen_sign_and_verify(tmp_path: Path) -> None:
    key = tmp_path / "release.pem"
    code, out, _ = run("keygen", "--out", str(key))
    assert code == 0 and key.stat().st_mode & 0o777 == 0o600
    public = out.split('"')[1]
    assert run("keygen", "--out", str(key))[0] != 0  # a release key is never overwritten
    doc = tmp_path / "stable.json"
    doc.write_bytes(manifest("0.3.0", archive=b"x", url="https://example.org/a.tar.gz"))
    code, out, err = run("sign", "--key", str(key), str(doc))
    assert code == 0 and "stable 0.3.0, 1 platform(s)" in out
    assert "is not one this program trusts" in err  # a throwaway key: said, not refused
    assert run("verify", str(doc), "--public-key", public)[0] == 0
    code, _, err = run("verify", str(doc))  # the program's own key did not sign it
    assert code == 1 and "does not verify" in err
    doc.write_bytes(doc.read_bytes().replace(b"0.3.0", b"0.3.1"))
    assert run("verify", str(doc), "--public-key", public)[0] == 1


def test_a_manifest_the_program_would_refuse_is_not_signed(tmp_path: Path) -> None:
    key = tmp_path / "release.pem"
    run("keygen", "--out", str(key))
    doc = tmp_path / "stable.json"
    doc.write_bytes(manifest("0.3.0", archive=b"x", url="http://example.org/a.tar.gz"))  # plain http
    code, _, err = run("sign", "--key", str(key), str(doc))
    assert code != 0 and "must use https" in err and not (tmp_path / "stable.json.sig").exists()
