"""The web UI's files from a real folder: the page at /, assets under /static with the content types a
browser needs for JS modules, CSS and images, no listing, no traversal, no dotfiles, no unknown types,
the security headers on all of it, and no cookie handed to whoever asks for the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from httpkit import Api, assert_envelope
from yarl import URL

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def ui(tmp_path: Path) -> Path:
    root = tmp_path / "web"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><script type="module" src="/static/js/app.js"></script>')
    (root / "js" / "app.js").write_text("export const ready = true;\n")
    (root / "style.css").write_text("body { margin: 0 }\n")
    (root / "icon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (root / "icon.png").write_bytes(PNG)
    (root / ".env").write_text("SECRET=1")
    (root / "notes.py").write_text("print('not served')")
    (tmp_path / "outside.txt").write_text("outside the folder")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    return root


@pytest.fixture
async def site(serve, ui: Path) -> Api:
    return await serve(static_dir=ui)


async def test_the_page_is_served_at_the_root_without_a_cookie(site: Api) -> None:
    status, headers, body = await site.call("GET", "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'type="module"' in body
    assert "Set-Cookie" not in headers  # the cookie is a credential: only the one-time login hands it out
    assert "default-src 'self'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("path", "content_type"), [
    ("/static/js/app.js", "text/javascript; charset=utf-8"),
    ("/static/style.css", "text/css; charset=utf-8"),
    ("/static/icon.svg", "image/svg+xml"),
    ("/static/icon.png", "image/png"),
])
async def test_assets_have_the_content_types_browsers_need(site: Api, ui: Path, path: str, content_type: str) -> None:
    async with site.session.get(site.url(path)) as resp:
        body = await resp.read()
    assert resp.status == 200 and resp.headers["Content-Type"] == content_type
    assert body == (ui / path.removeprefix("/static/")).read_bytes()
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in resp.headers and "Access-Control-Allow-Origin" not in resp.headers


@pytest.mark.parametrize("path", [
    "/static/", "/static/js", "/static/js/", "/static/.env", "/static/notes.py", "/static/link.txt",
    "/static/%2e%2e/outside.txt", "/static/js/%2e%2e/%2e%2e/outside.txt", "/static/..%2foutside.txt",
    "/static/..%5coutside.txt", "/static/missing.js", "/static/js//app.js", "/static/C:%2fWindows%2fwin.ini",
])
async def test_no_listing_no_traversal_no_dotfiles_and_no_unknown_types(site: Api, path: str) -> None:
    async with site.session.get(URL(site.url(path), encoded=True)) as resp:
        text = await resp.text()
    assert resp.status == 404, (path, text)
    assert "outside the folder" not in text and "SECRET" not in text


async def test_a_raw_dot_dot_path_gets_nothing_outside(site: Api) -> None:
    raw = await site.raw(f"GET /static/../../outside.txt HTTP/1.1\r\nHost: {site.host}\r\n"
                         "Connection: close\r\n\r\n".encode())
    assert raw.status == 404 and b"outside the folder" not in raw.body
    assert_envelope(raw.json(), 404, raw.status, "not_found")


async def test_static_files_need_the_right_host_too(site: Api) -> None:
    status, _, body = await site.call("GET", "/static/js/app.js", headers={"Host": "evil.com"})
    assert_envelope(body, 403, status, "host_refused")


async def test_without_a_folder_there_is_no_page(api: Api) -> None:
    status, _, body = await api.call("GET", "/")
    assert_envelope(body, 404, status, "not_found")
