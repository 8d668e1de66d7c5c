"""The state icons, rendered to real PNG files and read back: sizes, transparency, and silhouettes that
differ by shape (alpha masks compared), not by colour alone."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from tsmsyncd.tray.icons import SIZES, render, sheet, tray_image, write_app_icon
from tsmsyncd.tray.menu import IconState

PNG_SIZES = (16, 32, 64)


def png(tmp_path: Path, state: IconState, size: int) -> Image.Image:
    path = tmp_path / f"{state}-{size}.png"
    render(state, size).save(path, format="PNG")
    return read(path)


def read(path: Path | str) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image


def mask(image: Image.Image) -> Image.Image:
    """Where the icon is drawn (alpha above half), as a 1-bit picture."""
    return image.getchannel("A").point(lambda a: 255 if a >= 128 else 0).convert("1")


def overlap(a: Image.Image, b: Image.Image) -> float:
    """Intersection over union of two masks (1.0: the same shape)."""
    both = ImageChops.logical_and(a, b).histogram()[255]
    either = ImageChops.logical_or(a, b).histogram()[255]
    return both / either if either else 1.0


@pytest.mark.parametrize("size", PNG_SIZES)
@pytest.mark.parametrize("state", list(IconState))
def test_each_icon_is_a_square_rgba_png_with_a_transparent_background(tmp_path: Path, state: IconState,
                                                                      size: int) -> None:
    image = png(tmp_path, state, size)
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (size, size)
    alpha = image.getchannel("A")
    corners = [alpha.getpixel(p) for p in ((0, 0), (size - 1, 0), (0, size - 1), (size - 1, size - 1))]
    assert max(corners) < 64, corners  # the corners are background
    drawn = mask(image).histogram()[255] / size**2
    assert 0.2 < drawn < 0.9, drawn  # a real silhouette: neither a dot nor a filled square
    assert alpha.getextrema() == (0, 255)  # opaque where drawn, clear where not


@pytest.mark.parametrize("size", PNG_SIZES)
def test_every_pair_of_states_differs_by_shape(tmp_path: Path, size: int) -> None:
    """Colour-blind-safe: the alpha masks alone tell every two states apart, at every size."""
    masks = {state: mask(png(tmp_path, state, size)) for state in IconState}
    for a, b in itertools.combinations(IconState, 2):
        assert overlap(masks[a], masks[b]) < 0.8, (a, b, size, overlap(masks[a], masks[b]))


@pytest.mark.parametrize("state", list(IconState))
def test_small_sizes_are_the_large_shape_scaled_down(state: IconState) -> None:
    """Each size is drawn for itself, yet stays the same silhouette."""
    large = render(state, 64).resize((16, 16), Image.Resampling.LANCZOS)
    assert overlap(mask(large), mask(render(state, 16))) > 0.7


def test_states_also_differ_in_colour() -> None:
    def colour(state: IconState) -> tuple[int, ...]:
        image = render(state, 64)
        return tuple(int(c) for c in ImageStat.Stat(image.convert("RGB"), mask(image)).mean)

    colours = [colour(s) for s in IconState]
    assert len(set(colours)) == len(colours)


def test_the_tray_gets_one_image_that_every_backend_scales() -> None:
    assert tray_image(IconState.IDLE).size == (64, 64)
    assert {16, 20, 24, 32, 48, 256} <= set(SIZES)  # Windows' tray and Explorer sizes are all drawable
    for size in SIZES:
        assert render(IconState.ERROR, size).size == (size, size)
    with pytest.raises(ValueError, match="size 4"):
        render(IconState.IDLE, 4)


def test_the_app_icon_files(tmp_path: Path) -> None:
    ico = read(write_app_icon(tmp_path / "tsmsyncd.ico"))
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    icns = read(write_app_icon(tmp_path / "tsmsyncd.icns"))
    assert icns.format == "ICNS" and icns.size[0] >= 512
    assert read(write_app_icon(tmp_path / "tsmsyncd.png")).size == (256, 256)


def test_the_readme_sheet_shows_every_state_at_every_size_on_light_and_dark() -> None:
    image = sheet((16, 32, 64))
    assert image.mode == "RGB" and image.width > 2 * (16 + 32 + 64) and image.height >= 5 * 64


def test_the_committed_screenshot_is_the_sheet_drawn_now() -> None:
    """The README's picture follows the icons: after changing one, run
    ``python -m tsmsyncd.tray.icons docs/screenshots/tray-icons.png`` and look at it."""
    committed = read(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "tray-icons.png").convert("RGB")
    drawn = sheet()
    assert committed.size == drawn.size
    difference = sum(ImageStat.Stat(ImageChops.difference(committed, drawn)).mean) / 3
    assert difference < 1.0, difference
