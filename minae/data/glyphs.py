"""The digit shapes synthetic digits are drawn from: outlines of 0-9 in matplotlib's fonts.

``glyph_outlines()`` turns each digit of each DejaVu font that ships with matplotlib (Sans,
Serif, Mono, with their bold and oblique variants) into a ``matplotlib.path.Path``'s vertices
and codes, centred and scaled to height 1, ready to be transformed and rasterised by
``minae.data.synthetic``. Needs nothing but matplotlib, so synthetic digits work on any machine.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

#: The matplotlib fonts digits are drawn from: (file, family, weight, style).
DIGIT_FONTS = (
    ("DejaVuSans.ttf", "DejaVu Sans", "normal", "normal"),
    ("DejaVuSans-Bold.ttf", "DejaVu Sans", "bold", "normal"),
    ("DejaVuSans-Oblique.ttf", "DejaVu Sans", "normal", "oblique"),
    ("DejaVuSans-BoldOblique.ttf", "DejaVu Sans", "bold", "oblique"),
    ("DejaVuSerif.ttf", "DejaVu Serif", "normal", "normal"),
    ("DejaVuSerif-Bold.ttf", "DejaVu Serif", "bold", "normal"),
    ("DejaVuSerif-Italic.ttf", "DejaVu Serif", "normal", "italic"),
    ("DejaVuSerif-BoldItalic.ttf", "DejaVu Serif", "bold", "italic"),
    ("DejaVuSansMono.ttf", "DejaVu Sans Mono", "normal", "normal"),
    ("DejaVuSansMono-Bold.ttf", "DejaVu Sans Mono", "bold", "normal"),
    ("DejaVuSansMono-Oblique.ttf", "DejaVu Sans Mono", "normal", "oblique"),
    ("DejaVuSansMono-BoldOblique.ttf", "DejaVu Sans Mono", "bold", "oblique"),
)


def _font_file(file: str, family: str, weight: str, style: str) -> str:
    """The path of a matplotlib font: its own copy, else whatever the font manager finds."""
    import matplotlib
    from matplotlib import font_manager

    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / file
    if bundled.is_file():
        return str(bundled)
    props = font_manager.FontProperties(family=family, weight=weight, style=style)
    return font_manager.findfont(props, fallback_to_default=False)


@functools.cache
def glyph_outlines() -> tuple[tuple[tuple[np.ndarray, np.ndarray], ...], ...]:
    """Outlines of ``"0".."9"`` and a plain-bar 1 in every font of ``DIGIT_FONTS``.

    ``result[font][k]`` is ``(vertices (V, 2), codes (V,))`` of a ``matplotlib.path.Path`` for
    digit ``k`` (``k = 10``: the bar), centred on its bounding box and scaled to height 1. A
    pure function of the installed fonts, memoised because building 132 paths takes 0.1 s.
    Mono fonts draw 0 with a dot inside; their letter O is used instead.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    fonts = []
    for file, family, weight, style in DIGIT_FONTS:
        try:
            prop = FontProperties(fname=_font_file(file, family, weight, style))
        except ValueError:  # a Debian-style matplotlib without this font: use the others
            continue
        glyphs = []
        for text in [*"0123456789", "|"]:
            if text == "0" and "Mono" in family:
                text = "O"
            path = TextPath((0, 0), text, size=1, prop=prop)
            box = path.get_extents()
            vertices = (path.vertices - [box.x0 + box.width / 2, box.y0 + box.height / 2])
            vertices = vertices / box.height
            vertices.flags.writeable = False
            codes = path.codes.copy()
            codes.flags.writeable = False
            glyphs.append((vertices, codes))
        fonts.append(tuple(glyphs))
    if not fonts:
        raise RuntimeError("make_digits: none of the DejaVu fonts matplotlib ships was found")
    return tuple(fonts)

