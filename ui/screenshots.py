"""The README's screenshots of the app, made headless from the real App (the shipped model, drawn
strokes posted as mouse events), so that they show the app as it is:

    SDL_VIDEODRIVER=dummy python -m ui.screenshots docs/

writes screenshot_number.png ("47"), screenshot_not_a_digit.png (a W between a 4 and a 7),
screenshot_two_lines.png ("12" over "34") and screenshot_decimal.png ("3.75"). docs/screenshot.png
comes from tests/test_e2e.py (a real window under Xvfb) and docs/screenshot_learning.png from
tests/test_app.py (both: see their headers).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from recognizer.fileio import first_paragraph

SIDE_SHARE = 0.38  # a digit's box, as a share of the canvas side


def _drawings(side: int) -> dict[str, list]:
    """Each screenshot's strokes (canvas px): name -> strokes in writing order."""
    from recognizer.synthetic import LETTER_STROKES, digit_strokes, place_strokes

    size = SIDE_SHARE * side

    def at(unit_or_digit, x: float, y: float, box: float = size) -> list:
        if isinstance(unit_or_digit, int):
            return digit_strokes(unit_or_digit, side, box=(x * side, y * side, box, box))
        return place_strokes(unit_or_digit, side, box=(x * side, y * side, box, box))

    small = 0.3 * side
    return {
        "screenshot_number.png": at(4, 0.1, 0.28) + at(7, 0.55, 0.28),
        "screenshot_not_a_digit.png": at(4, 0.04, 0.3, small)
        + at(LETTER_STROKES["W"], 0.36, 0.3, small)
        + at(7, 0.68, 0.3, small),
        "screenshot_two_lines.png": at(1, 0.1, 0.06, small)
        + at(2, 0.5, 0.06, small)
        + at(3, 0.1, 0.56, small)
        + at(4, 0.5, 0.56, small),
        "screenshot_decimal.png": at(3, 0.04, 0.3, small)
        + [[(0.37 * side, 0.3 * side + 0.9 * small), (0.37 * side, 0.3 * side + 0.9 * small)]]  # a click: the point
        + at(7, 0.42, 0.3, small)
        + at(5, 0.72, 0.3, small),
    }


def make(folder: Path) -> list[Path]:
    """Draw each screenshot's strokes into a fresh headless App and save its window as a PNG."""
    import pygame

    from recognizer.fileio import atomic_write
    from recognizer.predictor import Recognizer
    from recognizer.samples import UserSamples

    from .app import App
    from .headless import run_script, stroke_events
    from .layout import DEFAULT_WINDOW

    pygame.display.init()
    pygame.font.init()
    recognizer = Recognizer.load()
    written = []
    with tempfile.TemporaryDirectory() as tmp:  # no saved samples: the footer shows the plain app
        for name, strokes in _drawings(App(recognizer=recognizer).canvas.side).items():
            app = App(recognizer=recognizer, samples=UserSamples(Path(tmp) / "samples.npz"))
            surface = pygame.Surface(DEFAULT_WINDOW)
            run_script(app, stroke_events(strokes, app.layout.canvas.topleft), surface)
            app.draw(surface, app.last_update + 60.0)  # a full frame, with no notice left on it
            path = folder / name
            with atomic_write(path, "wb") as f:  # a stopped run never leaves a half-written picture
                pygame.image.save(surface, f, path.name)
            written.append(path)
            print(f"{path}: {app.state.number or (app.state.prediction and app.state.prediction.digit)}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui.screenshots", description=first_paragraph(__doc__))
    parser.add_argument("folder", type=Path, help="where to write the PNGs (docs/ for the README's)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    try:
        make(args.folder)
    finally:
        pygame.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
