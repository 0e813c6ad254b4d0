"""Allow ``python -m clusterkg`` (used by the tests to run the real command).

Guarded: `serve` spawns worker processes, which import this module again as ``__mp_main__``.
"""

from clusterkg.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
