"""The common base of every error exo-gpu reports to its user.

The CLI catches ``ExoGpuError`` and prints its message (no traceback); each
message is written to say what went wrong and what to do about it.
"""


class ExoGpuError(Exception):
    """Base class of the errors exo-gpu reports to the user."""
