"""The one exception type the CLI turns into ``clusterkg: error: ...`` and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # the command ran but the answer is "no": not conforming, no rows
EXIT_USAGE = 2  # bad usage or bad input: nothing useful could be computed


class ClusterKGError(Exception):
    """An expected failure with a one-line message for the user and a process exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        self.message = one_line(message)
        self.exit_code = exit_code
        super().__init__(self.message)


def one_line(text: str) -> str:
    """Collapse whitespace so a message never spans several lines of stderr."""
    return " ".join(str(text).split())
