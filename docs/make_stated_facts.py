"""Write docs/stated-facts.md: every stated fact of the line-numbered documents, with its lines.

    python docs/make_stated_facts.py                       # regenerate docs/stated-facts.md
    python docs/make_stated_facts.py --texts ../shared/sources -o /tmp/review.md
                                                           # a reviewer's copy with line text

The copy with line text is for reading beside the documents; it is not kept in the project,
which never copies the documents' sentences.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rdflib import Dataset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from clusterkg.factreport import read_texts, render, stated_facts  # noqa: E402


def report(graph_dir: Path, texts: Path | None = None) -> str:
    """The report for the TriG files of ``graph_dir`` (only facts that cite lines appear)."""
    dataset = Dataset(default_union=True)
    for path in sorted(graph_dir.glob("*.trig")):
        dataset.parse(path, format="trig")
    return render(stated_facts(dataset), read_texts(texts) if texts else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=Path, help="folder of the .txt source documents")
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "stated-facts.md")
    args = parser.parse_args()
    args.out.write_text(report(ROOT / "graph", args.texts), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
