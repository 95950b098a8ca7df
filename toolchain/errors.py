"""User-facing errors. Each carries one line for stderr and the documented exit code.

Exit codes: 0 ok; 1 test mismatch; 2 usage or model error; 3 board or transport error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_USAGE = 2
EXIT_BOARD = 3


class MlcError(Exception):
    """An error the user can fix; str(self) is the one line we print."""

    exit_code = EXIT_USAGE


class UsageError(MlcError):
    """Bad command line, bad file, bad option value."""


class ModelError(MlcError):
    """The model cannot be compiled as given (unsupported op, symbolic dim, does not fit)."""


class BoardError(MlcError):
    """The board, its tools or the link to it failed."""

    exit_code = EXIT_BOARD
