"""The tray's state icons, drawn with Pillow: one silhouette per state, so they differ by shape, not by
colour alone (a colour-blind player, a monochrome panel, a 16 px tray all still tell them apart).

    idle        a disc with a check mark cut out                  green   all is well
    refreshing  a circular arrow                                  blue    fetching market data
    pending     an hourglass                                      amber   waiting for the game to close
    error       a warning triangle with "!" cut out               red     something failed (the menu says what)
    paused      a rounded square with the two bars of "pause"     grey    applying is paused

Each is drawn at four times the size asked and scaled down (Lanczos), so small sizes stay smooth; cut-outs
are transparent, so the silhouette shows on light and dark panels alike, and a dark rim keeps it off the
panel's colour. ``render`` gives one size; ``tray_image`` the size each OS's tray is handed (pystray
scales it to the panel: Windows through an .ico, macOS to the menu bar's height, X11 to its slot);
``write_app_icon`` the program's icon for the installers (.ico with every Windows size, .icns, .png).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tsmsyncd.tray.menu import IconState

__all__ = ["COLOURS", "MEANING", "SIZES", "IconState", "render", "sheet", "tray_image", "write_app_icon"]


# What trays and installers use: Windows 16/20/24/32 (100-200 % scaling) and 48/256 in Explorer, X11 and
# AppIndicator panels 22-24, macOS 22 pt menu bar (44 px on Retina), app icons up to 256.
SIZES = (16, 20, 22, 24, 32, 44, 48, 64, 128, 256)
TRAY_SIZE = 64  # pystray scales down from this on every backend
COLOURS: dict[IconState, tuple[int, int, int]] = {
    IconState.IDLE: (46, 157, 79),
    IconState.REFRESHING: (47, 127, 216),
    IconState.PENDING: (224, 161, 0),
    IconState.ERROR: (211, 51, 51),
    IconState.PAUSED: (128, 136, 144),
}
_SUPER = 4
_CLEAR = (0, 0, 0, 0)

Box = tuple[float, float, float, float]
Draw = Callable[[ImageDraw.ImageDraw, float, tuple[int, ...], tuple[int, ...]], None]


def _rim(colour: tuple[int, int, int]) -> tuple[int, ...]:
    return (*(int(c * 0.55) for c in colour), 255)


def _idle(d: ImageDraw.ImageDraw, s: float, fill: tuple[int, ...], rim: tuple[int, ...]) -> None:
    d.ellipse(_box(s, 0.04, 0.04, 0.96, 0.96), fill=fill, outline=rim, width=max(1, round(s * 0.05)))
    d.line([(s * 0.27, s * 0.52), (s * 0.44, s * 0.69), (s * 0.74, s * 0.34)], fill=_CLEAR,
           width=round(s * 0.14), joint="curve")


def _refreshing(d: ImageDraw.ImageDraw, s: float, fill: tuple[int, ...], rim: tuple[int, ...]) -> None:
    width, line = round(s * 0.22), max(1, round(s * 0.03))
    d.arc(_box(s, 0.08, 0.08, 0.92, 0.92), start=-50, end=250, fill=rim, width=width)
    d.arc(_box(s, 0.08 + 0.03, 0.08 + 0.03, 0.92 - 0.03, 0.92 - 0.03), start=-48, end=248, fill=fill,
          width=width - 2 * round(s * 0.03))
    # The arrowhead at the arc's open end, pointing on round the turn (into the gap at the top).
    centre, radius, angle = s / 2, s * 0.42 - width / 2, math.radians(-50)
    x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
    ahead = (math.sin(angle), -math.cos(angle))  # the tangent, the way the arrow turns
    out = (math.cos(angle), math.sin(angle))  # away from the centre
    half, length = s * 0.24, s * 0.26
    d.polygon([(x + out[0] * half, y + out[1] * half), (x - out[0] * half, y - out[1] * half),
               (x + ahead[0] * length, y + ahead[1] * length)], fill=fill, outline=rim, width=line)


def _pending(d: ImageDraw.ImageDraw, s: float, fill: tuple[int, ...], rim: tuple[int, ...]) -> None:
    line = max(1, round(s * 0.05))
    d.polygon([(s * 0.20, s * 0.14), (s * 0.80, s * 0.14), (s * 0.54, s * 0.50), (s * 0.80, s * 0.86),
               (s * 0.20, s * 0.86), (s * 0.46, s * 0.50)], fill=fill, outline=rim, width=line)
    d.rectangle(_box(s, 0.12, 0.04, 0.88, 0.16), fill=rim)
    d.rectangle(_box(s, 0.12, 0.84, 0.88, 0.96), fill=rim)


def _error(d: ImageDraw.ImageDraw, s: float, fill: tuple[int, ...], rim: tuple[int, ...]) -> None:
    d.polygon([(s * 0.50, s * 0.04), (s * 0.97, s * 0.92), (s * 0.03, s * 0.92)], fill=fill, outline=rim,
              width=max(1, round(s * 0.05)))
    d.rectangle(_box(s, 0.43, 0.30, 0.57, 0.64), fill=_CLEAR)
    d.rectangle(_box(s, 0.43, 0.71, 0.57, 0.84), fill=_CLEAR)


def _paused(d: ImageDraw.ImageDraw, s: float, fill: tuple[int, ...], rim: tuple[int, ...]) -> None:
    d.rounded_rectangle(_box(s, 0.06, 0.06, 0.94, 0.94), radius=s * 0.18, fill=fill, outline=rim,
                        width=max(1, round(s * 0.05)))
    d.rectangle(_box(s, 0.30, 0.26, 0.43, 0.74), fill=_CLEAR)
    d.rectangle(_box(s, 0.57, 0.26, 0.70, 0.74), fill=_CLEAR)


_DRAW: dict[IconState, Draw] = {IconState.IDLE: _idle, IconState.REFRESHING: _refreshing,
                                IconState.PENDING: _pending, IconState.ERROR: _error, IconState.PAUSED: _paused}


def _box(s: float, x0: float, y0: float, x1: float, y1: float) -> Box:
    return (s * x0, s * y0, s * x1, s * y1)


def render(state: IconState | str, size: int) -> Image.Image:
    """The icon of ``state`` as a ``size`` × ``size`` RGBA image (transparent background)."""
    state = IconState(state)
    if not 8 <= size <= 1024:
        raise ValueError(f"icon size {size}: must be 8 to 1024 pixels")
    big = size * _SUPER
    image = Image.new("RGBA", (big, big), _CLEAR)
    colour = COLOURS[state]
    _DRAW[state](ImageDraw.Draw(image), float(big), (*colour, 255), _rim(colour))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def tray_image(state: IconState | str) -> Image.Image:
    """The image handed to pystray (it scales it to the panel on every OS)."""
    return render(state, TRAY_SIZE)


MEANING = {IconState.IDLE: "idle: all is well", IconState.REFRESHING: "refreshing market data",
           IconState.PENDING: "pending: waiting for the game to close", IconState.ERROR: "error: the menu says what",
           IconState.PAUSED: "paused: nothing is applied"}
PANELS = ((255, 255, 255), (43, 45, 49))  # a light and a dark panel


def sheet(sizes: Sequence[int] = (16, 32, 64), panels: Sequence[tuple[int, int, int]] = PANELS) -> Image.Image:
    """Every state at every size on each panel colour, one row per state with what it means beside it
    (the README's picture, ``docs/screenshots/tray-icons.png``)."""
    pad, text_width = 12, 300
    block = pad + sum(s + pad for s in sizes)  # one panel's icons
    row = max(sizes) + pad
    image = Image.new("RGB", (pad + len(panels) * (block + pad) + text_width, pad + row * len(IconState)),
                      (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)  # Pillow's own font: the same picture on every machine
    for p, colour in enumerate(panels):
        left = pad + p * (block + pad)
        draw.rounded_rectangle((left, pad // 2, left + block, image.height - pad // 2), radius=8, fill=colour,
                               outline=(200, 200, 200))
    for i, state in enumerate(IconState):
        y = pad + i * row
        for p in range(len(panels)):
            x = pad + p * (block + pad) + pad
            for size in sizes:
                icon = render(state, size)
                image.paste(icon, (x, y + (max(sizes) - size) // 2), icon)
                x += size + pad
        draw.text((pad + len(panels) * (block + pad) + 6, y + max(sizes) // 2), MEANING[state],
                  fill=(32, 32, 32), font=font, anchor="lm")
    return image


def write_app_icon(path: Path) -> str:
    """The program's icon (the idle state) at ``path``: ``.ico`` with every Windows size, ``.icns`` for
    macOS, else a 256 px PNG. Returns the path as text (PyInstaller's ``icon=``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    big = render(IconState.IDLE, 256)
    if path.suffix == ".ico":
        sizes = [(s, s) for s in (16, 20, 24, 32, 48, 64, 128, 256)]
        big.save(path, format="ICO", sizes=sizes)
    elif path.suffix == ".icns":
        render(IconState.IDLE, 1024).save(path, format="ICNS")
    else:
        big.save(path, format="PNG")
    return str(path)


if __name__ == "__main__":  # python -m tsmsyncd.tray.icons docs/screenshots/tray-icons.png
    import sys

    sheet().save(sys.argv[1], format="PNG", optimize=True)
