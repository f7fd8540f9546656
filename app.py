"""python app.py: the desktop app from a checkout; installed, `digit-recognizer app` runs the same.

The command line and the main loop are in ui/main.py, so that they ship with the package.
"""

import sys

from ui.main import main

if __name__ == "__main__":
    sys.exit(main())
