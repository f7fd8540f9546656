"""Handwritten digit recognizer: draw a digit with the mouse, watch the CNN read it as you draw.

    digit-recognizer app [--model PATH | --shipped-model] [--samples PATH] [--data mnist.npz] [--size WxH]
                         [--debug-dump PATH]
    python app.py ...      (the same, from a checkout)

The window opens at once; the model loads behind it (no TensorFlow: the .tflite model runs in
LiteRT). This file is only the command line and the clock-driven main loop; the app is in ui/app.py.
"""

from __future__ import annotations

import time

LAUNCH_TIME = time.time()  # first thing: the start-up timings are measured from here

import argparse  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

HEADLESS_DRIVERS = ("dummy", "offscreen")  # SDL video drivers that show nothing
MAX_WINDOW_SIDE = 16_384  # SDL's own limit on a window side; larger numbers cannot even be passed to it


def parse_args(argv: list[str] | None, prog: str = "python app.py") -> argparse.Namespace:
    """The command line; --help needs no pygame, so it answers instantly."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Draw a digit with the mouse; the CNN reads it as you draw. "
        "Left mouse: draw; R or right click: clear; U or Ctrl+Z: undo; "
        "0-9 after a digit is read: save it as your own sample; L: learn your writing from the samples "
        "(in the background); M: switch between your personal model and the shipped one; Q or Esc: quit.",
    )
    model = parser.add_mutually_exclusive_group()
    model.add_argument(
        "--model",
        metavar="PATH",
        help="a .tflite (fast) or .keras model (default: your personal model, from key L or "
        "`python -m recognizer learn` or `finetune`, if there is one, else the shipped model)",
    )
    model.add_argument(
        "--shipped-model", action="store_true", help="use the shipped model even if you have a personal one"
    )
    parser.add_argument(
        "--samples",
        metavar="PATH",
        type=_samples_file,
        help="the .npz your samples are saved to "
        "(default: $XDG_DATA_HOME/digit-recognizer/samples.npz, ~/.local/share/...); "
        "L writes the personal model beside the default one whatever this says",
    )
    parser.add_argument(
        "--data",
        metavar="PATH",
        type=_data_path,
        help="mnist.npz for learning your handwriting (key L checks the personal model on MNIST test; "
        "default: $MNIST_NPZ, else Keras downloads it)",
    )
    parser.add_argument(
        "--size",
        metavar="WxH",
        type=_size,
        default=None,
        help="initial window size in pixels (default: 984x640; the window is resizable)",
    )
    parser.add_argument(
        "--debug-dump",
        metavar="PATH",
        type=_dump_file,
        help="write the app's state as JSON to PATH on start-up, on each prediction and "
        "on exit (start-up timings, prediction, frame rate while drawing)",
    )
    args = parser.parse_args(argv)
    if args.data is None:
        from recognizer.data import ENV_VAR  # here: --help stays instant

        named = os.environ.get(ENV_VAR)
        if named and not os.path.exists(named):  # said only when L was pressed; drawing needs no MNIST
            print(
                f"warning: ${ENV_VAR} names {named}, which is not there: learning your writing (L) needs "
                "MNIST; set it to mnist.npz, an IDX folder or train.csv, or unset it",
                file=sys.stderr,
            )
    return args


def _samples_file(text: str) -> str:
    """--samples: a file's path, which need not exist yet, in a folder the user may write to; an
    empty one, a folder, a device or a pipe is refused (the app said "cannot read samples file
    (IsADirectoryError)" and told the user to rename it; its loader waited on a pipe for ever, and
    on quitting said a change was not saved)."""
    from recognizer.fileio import path_arg  # here: only a --samples given pays

    path_arg(text)  # the empty path every command's path options refuse
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder: give the samples file's name (a .npz) in it")
    if os.path.exists(text) and not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text} is not a regular file (a device or a pipe?): give a .npz file's name")
    # a file in no folder ("/etc/hostname/s.npz") or in one the user cannot write: every save failed
    return _writable(text, "--samples")


def _writable(text: str, flag: str) -> str:
    """text, if a file may be written there (recognizer.fileio.check_writable), else a usage error
    in its words, less the option's name argparse gives already."""
    from recognizer.errors import DataError
    from recognizer.fileio import check_writable

    try:
        check_writable(text, flag)
    except DataError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{flag} ")) from None
    return text


def _data_path(text: str) -> str:
    """--data: MNIST's file or IDX folder, which must be there: a missing one was found only when L
    was pressed (an outside review). What it holds is checked then, when it is read."""
    from recognizer.fileio import path_arg

    path_arg(text)
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError(f"{text} not found: give mnist.npz, an IDX folder or train.csv")
    return text


def _dump_file(text: str) -> str:
    """--debug-dump: a file's path in a folder the user may write to (or may make), checked at start
    as every command's outputs are: a path that cannot be written said so only on stderr, later."""
    from recognizer.fileio import path_arg

    path_arg(text)
    return _writable(text, "--debug-dump")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 984x640, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"window size must be positive, got {text!r}")
    if max(w, h) > MAX_WINDOW_SIDE:
        raise argparse.ArgumentTypeError(f"window sides must be at most {MAX_WINDOW_SIDE} pixels, got {text!r}")
    import_pygame()  # here, as the app imports it: only a --size given pays for it
    from ui.layout import MIN_WINDOW

    if w < MIN_WINDOW[0] or h < MIN_WINDOW[1]:  # smaller, the pane's text is cut off
        raise argparse.ArgumentTypeError(f"window must be at least {MIN_WINDOW[0]}x{MIN_WINDOW[1]}, got {text!r}")
    return w, h


def import_pygame():
    """Import pygame without its banner, and without pkg_resources: pygame.pkgdata imports it (0.2-0.4 s
    of start-up) only to locate the default font, which its own fallback finds just as well."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
    try:
        import pygame
    finally:
        if blocked and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    return pygame


def run(args: argparse.Namespace) -> int:
    """Open the window, then loop: events -> update -> draw, FPS times a second."""
    pygame = import_pygame()

    from recognizer.samples import UserSamples
    from ui.app import ERROR_LINGER, FPS, WINDOW_TITLE, App
    from ui.layout import DEFAULT_WINDOW
    from ui.model import choose_model

    try:
        pygame.display.init()
        pygame.font.init()
        pygame.display.set_caption(WINDOW_TITLE)
        driver = pygame.display.get_driver()
        if driver in HEADLESS_DRIVERS and os.environ.get("SDL_VIDEODRIVER") != driver:
            # SDL found no screen and fell back to drawing nowhere: say so instead of running unseen.
            raise pygame.error("no display found (is DISPLAY set? SDL_VIDEODRIVER=dummy runs headless)")
        screen = pygame.display.set_mode(args.size or DEFAULT_WINDOW, pygame.RESIZABLE)
    except pygame.error as exc:
        print(f"error: cannot open a window: {exc}", file=sys.stderr)
        return 1
    # With no real screen nobody can read an error in the window: exit at once.
    linger = 0.0 if driver in HEADLESS_DRIVERS else ERROR_LINGER
    model_path, personal = choose_model(args.model, args.shipped_model)
    app = App(
        screen.get_size(),
        model_path=model_path,
        personal=personal,
        samples=UserSamples(args.samples),
        data=args.data,
        debug_dump=args.debug_dump,
        launch_time=LAUNCH_TIME,
        error_linger=linger,
    )
    # `kill` (SIGTERM) quits as cleanly as the close button does.
    signal.signal(signal.SIGTERM, lambda *_: pygame.event.post(pygame.event.Event(pygame.QUIT)))
    clock = pygame.time.Clock()
    try:
        while app.running:
            app.handle_events(pygame.event.get())
            now = time.perf_counter()
            app.update(now)
            if app.needs_draw(now):
                pygame.display.update(app.draw(pygame.display.get_surface(), now))
                app.window_shown()
            clock.tick(FPS)
    finally:
        app.close()
        pygame.quit()
    return app.exit_code


def main(argv: list[str] | None = None, prog: str = "python app.py") -> int:
    """Entry point: the exit status (0 ok, 1 no window, 2 model error, 130 interrupted)."""
    args = parse_args(argv, prog)
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130


def cli(argv: list[str]) -> int:
    """`digit-recognizer app ...` or `python -m recognizer app ...` (recognizer/__main__.py dispatches here)."""
    from recognizer.fileio import command_prog

    return main(argv, prog=command_prog("app"))


if __name__ == "__main__":
    sys.exit(main())
