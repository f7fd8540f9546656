"""Errors the library raises for bad input; the CLI and the app print them as one line."""


class RecognizerError(Exception):
    """Base class: a problem the user can fix (bad file, bad data), not a bug."""


class ModelError(RecognizerError):
    """The model file is missing, corrupt or not a digit classifier."""


class DataError(RecognizerError):
    """A data file (npz, IDX, Kaggle CSV, user samples) is missing or malformed."""


class ImageError(RecognizerError):
    """An image file cannot be read or holds no ink."""


class NoInk(ImageError):
    """A picture with no ink to read: blank paper, or only lines, page edges and specks."""


class TooManyMarks(ImageError):
    """A picture of more separate marks than handwriting makes (a dithered scan): not read."""


class CanvasError(ImageError, ValueError):
    """A canvas array that is not a 2-D grayscale image of finite numbers."""
