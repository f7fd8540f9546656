"""The desktop app's UI: a thin layer over `recognizer`, one role per module.

    ui.main      the command line and the clock-driven main loop (`python app.py`)
    ui.app       App: events -> canvas, canvas -> readings, state -> View; the frame's three steps
    ui.canvas    what the user drew: strokes as point lists, rasterized into a uint8 array (no pygame)
    ui.layout    where the canvas, the pane and the hint line go in a window of any size
    ui.view      drawing a frame: only what changed since the last one
    ui.panel     the right pane, the digit boxes and the hint line, rendered with pygame
    ui.model     which model to load, loaded on a background thread
    ui.worker    reading the canvas off the UI thread while the user draws (newest canvas first)
    ui.samples   digit keys: the user's own samples, saved on a background thread
    ui.learner   key L: learning the user's hand in a child process, watched by a thread
    ui.timing    start-up milestones and the frame rate while drawing
    ui.dump      --debug-dump: the app's state as JSON, written atomically off the UI thread
    ui.headless  synthetic events and a simulated frame loop for tests, scripts and benchmarks
                 (never imported by the app)
    ui.screenshots  the README's screenshots of the app, made headless

Nothing heavy is imported here, so `import ui` is free.
"""
