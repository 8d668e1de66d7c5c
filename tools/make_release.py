"""Make a release of the one-folder app, or lay one out as an updatable install (installers/README.md).

    python tools/make_release.py archive --folder dist/tsmsyncd --platform linux-x86_64 \\
        --url-base https://tsmsyncd.github.io/releases --out releases [--channel stable] [--notes TEXT] [--format zip]
        packs the folder as releases/tsmsyncd-<version>-<platform>.tar.gz (one top folder, tsmsyncd/) and
        writes its size and sha256 into releases/<channel>.json (made, or updated for the same version);
        then sign it: make sign-manifest KEY=... MANIFEST=releases/<channel>.json

    python tools/make_release.py layout --folder dist/tsmsyncd --root ~/.local/opt/tsmsyncd
        a first install: <root>/versions/<version>/ (a copy of the folder), <root>/current, and the
        launcher <root>/tsmsyncd (installers/linux/tsmsyncd-launcher)

The version is the one the folder's own program says (``<folder>/tsmsyncd --version``), so a manifest can
never name another version than the archive holds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tsmsyncd.errors import UpdateError  # noqa: E402
from tsmsyncd.update.manifest import FORMAT, parse_manifest  # noqa: E402

LAUNCHER = ROOT / "installers" / "linux" / "tsmsyncd-launcher"


def folder_version(folder: Path) -> str:
    program = next((folder / n for n in ("tsmsyncd", "tsmsyncd.exe") if (folder / n).is_file()), None)
    if program is None:
        raise SystemExit(f"make_release: {folder} has no tsmsyncd program")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    said = subprocess.run([str(program), "--version"], capture_output=True, text=True, timeout=120, env=env)
    words = said.stdout.split()
    if said.returncode != 0 or words[:1] != ["tsmsyncd"] or len(words) < 2:
        raise SystemExit(f"make_release: {program} --version said {said.stdout!r} {said.stderr!r}")
    return words[1]


def pack(folder: Path, out: Path, fmt: str) -> None:
    """The folder as ``tsmsyncd/...``, members sorted, links kept as links."""
    paths = sorted(p for p in folder.rglob("*"))
    if fmt == "tar.gz":
        with tarfile.open(out, "w:gz", compresslevel=6) as tar:  # measured on a 175 MB build: 15 s, 68.9 MB;
            # level 9 took 54 s for 68.6 MB
            tar.add(folder, arcname="tsmsyncd", recursive=False)
            for path in paths:
                tar.add(path, arcname="tsmsyncd/" + path.relative_to(folder).as_posix(), recursive=False)
    else:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in paths:
                name = "tsmsyncd/" + path.relative_to(folder).as_posix()
                if path.is_symlink():
                    raise SystemExit(f"make_release: {path} is a link; use --format tar.gz for this platform")
                if path.is_dir():
                    zf.writestr(name + "/", b"")
                else:
                    info = zipfile.ZipInfo.from_file(path, name)
                    with path.open("rb") as handle:
                        zf.writestr(info, handle.read(), zipfile.ZIP_DEFLATED)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cmd_archive(args: argparse.Namespace) -> int:
    folder, out = Path(args.folder), Path(args.out)
    version = folder_version(folder)
    out.mkdir(parents=True, exist_ok=True)
    name = f"tsmsyncd-{version}-{args.platform}.{args.format}"
    archive = out / name
    pack(folder, archive, args.format)
    manifest_path = out / f"{args.channel}.json"
    doc = {"format": FORMAT, "channel": args.channel, "version": version,
           "date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
           "notes": args.notes or f"tsmsyncd {version}", "platforms": {}}
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if old.get("version") == version:  # another platform of the same release
            doc = {**old, "notes": args.notes or old.get("notes", doc["notes"])}
    doc["platforms"][args.platform] = {"url": f"{args.url_base.rstrip('/')}/{name}",
                                       "size": archive.stat().st_size, "sha256": sha256_of(archive),
                                       "format": args.format}
    data = (json.dumps(doc, indent=2) + "\n").encode()
    try:
        parse_manifest(data, args.channel)
    except UpdateError as exc:
        raise SystemExit(f"make_release: the manifest would be refused: {exc}") from exc
    manifest_path.write_bytes(data)
    print(f"{archive} ({archive.stat().st_size:,} bytes); {manifest_path} now offers {version} for "
          f"{', '.join(sorted(doc['platforms']))}; sign it next")
    return 0


def cmd_layout(args: argparse.Namespace) -> int:
    folder, root = Path(args.folder), Path(args.root)
    version = folder_version(folder)
    target = root / "versions" / version
    if target.exists():
        raise SystemExit(f"make_release: {target} exists already")
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, target, symlinks=True)
    shutil.copy2(LAUNCHER, root / "tsmsyncd")
    (root / "current").write_text(version + "\n")
    print(f"tsmsyncd {version} laid out in {root}; start it as {root / 'tsmsyncd'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make_release.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    archive = commands.add_parser("archive", help="pack a one-folder app and write it into the channel's manifest")
    archive.add_argument("--folder", required=True)
    archive.add_argument("--platform", required=True, help="linux-x86_64, windows-x86_64, macos-arm64, ...")
    archive.add_argument("--url-base", required=True, help="where the archive will be served from")
    archive.add_argument("--out", required=True, help="the folder for the archive and the manifest")
    archive.add_argument("--channel", default="stable", choices=("stable", "beta"))
    archive.add_argument("--notes", default="")
    archive.add_argument("--format", default="tar.gz", choices=("tar.gz", "zip"))
    archive.set_defaults(run=cmd_archive)
    layout = commands.add_parser("layout", help="install a one-folder app as an updatable layout")
    layout.add_argument("--folder", required=True)
    layout.add_argument("--root", required=True)
    layout.set_defaults(run=cmd_layout)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
