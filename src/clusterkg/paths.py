"""Find the project data (ontology/, graph/, shapes/, queries/) wherever clusterkg runs from.

Order: ``--home DIR`` > ``$CLUSTERKG_HOME`` > the checkout this package sits in >
the copy shipped inside an installed wheel (``clusterkg/data``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clusterkg.errors import ClusterKGError

ENV_HOME = "CLUSTERKG_HOME"
DATA_FOLDERS = ("ontology", "graph", "shapes", "queries")


@dataclass(frozen=True)
class Home:
    """A project directory holding the four data folders (any of them may be absent)."""

    root: Path
    origin: str  # how it was found: "--home", "$CLUSTERKG_HOME", "checkout", "installed"

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def graph_dir(self) -> Path:
        return self.root / "graph"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    def files(self, folder: str, *suffixes: str) -> list[Path]:
        """The data files of one folder, sorted by name so loading is deterministic."""
        directory = self.root / folder
        if not directory.exists():
            return []
        _check_readable_dir(directory)
        try:
            entries = sorted(directory.iterdir())
        except OSError as exc:
            raise ClusterKGError(f"cannot read data directory {directory}: {exc.strerror}") from exc
        # Dotfiles are editor back-ups and lock files, never data.
        return [
            p for p in entries
            if p.is_file() and p.suffix in suffixes and not p.name.startswith(".")
        ]


def checkout_root() -> Path | None:
    """The repository root when running from a source checkout (src layout), else None."""
    package_dir = Path(__file__).resolve().parent
    if package_dir.parent.name != "src":
        return None
    root = package_dir.parent.parent
    return root if (root / "ontology").is_dir() else None


def installed_data() -> Path:
    """Where a wheel install keeps its copy of the data folders."""
    return Path(__file__).resolve().parent / "data"


def find_home(explicit: str | os.PathLike[str] | None = None) -> Home:
    """Resolve and check the project directory; a missing or unreadable one is a usage error."""
    if explicit is not None and str(explicit) != "":
        return _checked(Path(explicit), "--home")
    env = os.environ.get(ENV_HOME)
    if env:
        return _checked(Path(env), f"${ENV_HOME}")
    root = checkout_root()
    if root is not None:
        return _checked(root, "checkout")
    return _checked(installed_data(), "installed")


def _checked(root: Path, origin: str) -> Home:
    root = root.expanduser()
    if not root.exists():
        raise ClusterKGError(f"data directory {root} ({origin}) does not exist")
    _check_readable_dir(root)
    if not any((root / folder).is_dir() for folder in DATA_FOLDERS):
        raise ClusterKGError(
            f"data directory {root} ({origin}) holds none of {', '.join(DATA_FOLDERS)}"
        )
    return Home(root=root.resolve(), origin=origin)


def _check_readable_dir(path: Path) -> None:
    if not path.is_dir():
        raise ClusterKGError(f"data directory {path} is not a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ClusterKGError(f"data directory {path} is not readable")
