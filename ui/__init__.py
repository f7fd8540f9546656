"""The desktop app's UI: a thin layer over `recognizer`.

    ui.canvas    what the user drew: strokes as point lists, rasterized into a uint8 array (no pygame)
    ui.panel     the right pane and the hint line, rendered with pygame
    ui.app       App (events -> canvas, canvas -> predictions, state -> pixels)
    ui.headless  synthetic events and a simulated frame loop for tests, scripts and benchmarks
                 (never imported by the app)

Nothing heavy is imported here, so `import ui` is free.
"""
