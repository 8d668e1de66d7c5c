"""Sign a release manifest with the release key, make a release key pair, or check a signature.

    python tools/sign_manifest.py sign --key PATH MANIFEST       writes MANIFEST.sig (make sign-manifest)
    python tools/sign_manifest.py keygen --out PATH              a new Ed25519 key pair (the private half
                                                                 to PATH, 0600); prints the public line
                                                                 for tsmsyncd/update/keys.py
    python tools/sign_manifest.py verify MANIFEST [--public-key B64 ...]

The private key is given as a file on the command line (PEM, PKCS#8; encrypted ones ask for their
passphrase on the terminal, or read it from TSMSYNCD_SIGNING_PASSPHRASE), never as text in argv, and it
never belongs in the repository. A manifest is parsed exactly as the program will parse it before it is
signed, so nothing the program would refuse gets a signature; signing with a key the program does not
trust is allowed (test releases) but said on stderr.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tsmsyncd beside this tools/ folder

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from tsmsyncd.errors import UpdateError  # noqa: E402
from tsmsyncd.jsondoc import JsonDocError, parse  # noqa: E402
from tsmsyncd.update.keys import RELEASE_KEYS, key_id  # noqa: E402
from tsmsyncd.update.manifest import parse_manifest, sign, verify  # noqa: E402


def public_line(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_key(path: Path) -> Ed25519PrivateKey:
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # encrypted: it needs its passphrase
        secret = os.environ.get("TSMSYNCD_SIGNING_PASSPHRASE") or getpass.getpass(f"passphrase for {path}: ")
        key = serialization.load_pem_private_key(data, password=secret.encode())
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit(f"sign_manifest: {path} is not an Ed25519 private key")
    return key


def channel_of(data: bytes, path: Path) -> str:
    try:
        doc = parse(data)
    except JsonDocError as exc:
        raise SystemExit(f"sign_manifest: {path} {exc.reason}") from exc
    channel = doc.get("channel") if isinstance(doc, dict) else None
    if not isinstance(channel, str):
        raise SystemExit(f"sign_manifest: {path} has no channel")
    return channel


def cmd_sign(args: argparse.Namespace) -> int:
    manifest = Path(args.manifest)
    data = manifest.read_bytes()
    try:
        parsed = parse_manifest(data, channel_of(data, manifest))
    except UpdateError as exc:
        raise SystemExit(f"sign_manifest: {manifest}: {exc}") from exc
    key = load_key(Path(args.key))
    out = Path(args.out or f"{manifest}.sig")
    out.write_bytes(sign(data, key))
    line = public_line(key)
    if line not in RELEASE_KEYS:
        print(f"sign_manifest: note: key {key_id(line)} is not one this program trusts (tsmsyncd/update/keys.py); "
              "only builds that carry it will accept this signature", file=sys.stderr)
    print(f"signed {manifest} ({parsed.channel} {parsed.version}, {len(parsed.platforms)} platform(s)) "
          f"with key {key_id(line)} -> {out}")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists():
        raise SystemExit(f"sign_manifest: {out} exists; a release key is never overwritten")
    key = Ed25519PrivateKey.generate()
    secret = os.environ.get("TSMSYNCD_SIGNING_PASSPHRASE", "") if args.encrypt else ""
    if args.encrypt and not secret:
        secret = getpass.getpass("passphrase for the new key: ")
    encryption = (serialization.BestAvailableEncryption(secret.encode()) if secret
                  else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    line = public_line(key)
    print(f"private key written to {out} (keep it offline; never commit it)")
    print(f"public key {key_id(line)}; add this line to RELEASE_KEYS in tsmsyncd/update/keys.py:")
    print(f'    "{line}",')
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    manifest = Path(args.manifest)
    data = manifest.read_bytes()
    signature = Path(args.signature or f"{manifest}.sig").read_bytes()
    keys = tuple(args.public_key or RELEASE_KEYS)
    try:
        name = verify(data, signature, keys)
        parsed = parse_manifest(data, channel_of(data, manifest))
    except UpdateError as exc:
        print(f"sign_manifest: {manifest}: {exc}", file=sys.stderr)
        return 1
    print(f"{manifest}: {parsed.channel} {parsed.version}, signed by key {name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sign_manifest.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    signing = commands.add_parser("sign", help="sign a manifest (writes MANIFEST.sig)")
    signing.add_argument("--key", required=True, help="the release key's private half (a PEM file)")
    signing.add_argument("--out", help="where to write the signature (default MANIFEST.sig)")
    signing.add_argument("manifest")
    signing.set_defaults(run=cmd_sign)
    keygen = commands.add_parser("keygen", help="make a new release key pair")
    keygen.add_argument("--out", required=True, help="the new private key file (must not exist)")
    keygen.add_argument("--encrypt", action="store_true", help="protect it with a passphrase")
    keygen.set_defaults(run=cmd_keygen)
    checking = commands.add_parser("verify", help="check a manifest's signature")
    checking.add_argument("manifest")
    checking.add_argument("--signature", help="default MANIFEST.sig")
    checking.add_argument("--public-key", action="append", help="a key to trust instead of the program's")
    checking.set_defaults(run=cmd_verify)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
