"""Allow ``python -m clusterkg`` (used by the tests to run the real command)."""

from clusterkg.cli import main

raise SystemExit(main())
