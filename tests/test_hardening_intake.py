"""Intake hardening: what `validate FILE` and `add` refuse before any validation, and what works.

Each test runs the real command in a subprocess on a private copy of the project and checks
what a user sees: the exit code, the one line on stderr (never a traceback), and that graph/
is byte-identical after a refusal.

- Remote JSON-LD contexts are never fetched (a listener on 127.0.0.1 proves no request came).
- Relative IRIs are refused unless --base says what they are relative to (they used to become
  ``file:///...`` IRIs in graph/).
- IRIs of any scheme (mailto:, tag:, urn:) work like http ones.
- An IRI that is not one (a space, ``{``) gets the same answer from `validate` and `add`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef

from conftest import (
    ROOT,
    Listener,
    Runner,
    assert_one_line_error,
    cli_env,
    copy_seed_project,
    snapshot,
)

FACTS = ROOT / "tests" / "data" / "facts"
CK = "https://w3id.org/clusterkg/ontology#"
ENV = {"USER": "tester"}
PREFIXES = (
    "@prefix ck:   <https://w3id.org/clusterkg/ontology#> .\n"
    "@prefix ckr:  <https://w3id.org/clusterkg/id/> .\n"
    "@prefix kind: <https://w3id.org/clusterkg/member-kind/> .\n"
    "@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .\n"
    "\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the real project with the two documents' graphs."""
    return copy_seed_project(tmp_path / "project")


def ck(run: Runner, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(*args, home=project, env=cli_env(**ENV))


def member_count(subject: str, count: int = 141, cluster: str = "ckr:nscc") -> str:
    """Turtle for one new member count (valid unless ``cluster`` is not a cluster)."""
    return PREFIXES + (
        f"{subject} a ck:MemberCount ;\n"
        f"    ck:cluster {cluster} ;\n"
        "    ck:memberKind kind:company ;\n"
        f"    ck:count {count} ;\n"
        '    ck:observationDate "2024-02-01"^^xsd:date ;\n'
        "    ck:assertionMode ck:stated .\n"
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(project: Path) -> Graph:
    """The triples of every graph in graph/ (to see which IRIs an add committed)."""
    dataset = Dataset()
    for path in sorted((project / "graph").glob("*.trig")):
        dataset.parse(path, format="trig")
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def graph_text(project: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted((project / "graph").glob("*")))


# --- remote JSON-LD contexts -----------------------------------------------------------------


#: A real context: a command that fetched it would succeed, so only the listener's record
#: tells whether anything was fetched.
CONTEXT = json.dumps({"@context": {"ck": CK, "xsd": "http://www.w3.org/2001/XMLSchema#"}}).encode()


@pytest.fixture
def context_server() -> Iterator[Listener]:
    server = Listener(CONTEXT, "application/ld+json")
    try:
        yield server
    finally:
        server.close()


def jsonld_count(context: object, *, node: str = "ntsc-count-json") -> str:
    """count.jsonld with the given "@context"."""
    doc = json.loads((FACTS / "count.jsonld").read_text(encoding="utf-8"))
    doc["@context"] = context
    doc["@id"] = f"https://w3id.org/clusterkg/id/fact/test/{node}"
    return json.dumps(doc, indent=2)


def remote_context_documents(url: str) -> dict[str, str]:
    """Four ways JSON-LD names a context by reference, each pointing at ``url``."""
    inline = {"ck": CK, "xsd": "http://www.w3.org/2001/XMLSchema#"}
    nested = json.loads(jsonld_count(inline))
    nested["ck:cluster"] = {"@context": url, "@id": "https://w3id.org/clusterkg/id/ntsc"}
    scoped = {**inline, "ck:cluster": {"@type": "@id", "@context": [url]}}
    return {
        "string": jsonld_count(url),
        "array": jsonld_count([url, inline]),
        "nested": json.dumps(nested, indent=2),
        "scoped": jsonld_count(scoped),
        "import": jsonld_count({"@import": url, **inline}),
    }


@pytest.mark.parametrize("command", ["validate", "add"])
@pytest.mark.parametrize("kind", ["string", "array", "nested", "scoped", "import"])
def test_remote_jsonld_context_is_refused_and_never_fetched(
    run: Runner, project: Path, tmp_path: Path, context_server: Listener, command: str,
    kind: str
) -> None:
    url = f"{context_server.url}/context.jsonld"
    path = write(tmp_path, f"{kind}.jsonld", remote_context_documents(url)[kind])
    before = snapshot(project / "graph")
    result = ck(run, project, command, str(path), "--source", "Test")
    line = assert_one_line_error(result, str(path), url, "inline")
    assert "JSON-LD context" in line
    assert context_server.requests == []
    assert snapshot(project / "graph") == before


def test_jsonld_with_an_inline_context_still_validates_and_adds(
    run: Runner, project: Path
) -> None:
    checked = ck(run, project, "validate", str(FACTS / "count.jsonld"), "--source", "Test")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    added = ck(run, project, "add", str(FACTS / "count.jsonld"), "--source", "Test")
    assert added.returncode == 0, added.stdout + added.stderr
    assert "Traceback" not in added.stderr
    assert "ntsc-count-json" in graph_text(project)


# --- relative IRIs -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "add"])
def test_relative_iri_is_refused_without_base(run: Runner, project: Path, tmp_path: Path,
                                             command: str) -> None:
    path = write(tmp_path, "relative.ttl", member_count("<rel-count>"))
    before = snapshot(project / "graph")
    result = ck(run, project, command, str(path), "--source", "Test")
    line = assert_one_line_error(result, f"{path}, line 6", "<rel-count>", "--base",
                                 "absolute IRIs")
    assert "file:" in line  # says where it would have gone
    assert snapshot(project / "graph") == before


def test_relative_iri_in_jsonld_is_refused_without_base(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    inline = {"ck": CK, "xsd": "http://www.w3.org/2001/XMLSchema#"}
    doc = json.loads(jsonld_count(inline))
    doc["@id"] = "rel-count-json"
    path = write(tmp_path, "relative.jsonld", json.dumps(doc, indent=2))
    before = snapshot(project / "graph")
    result = ck(run, project, "add", str(path), "--source", "Test")
    assert_one_line_error(result, f"{path}, line 6", "<rel-count-json>", "--base")
    assert snapshot(project / "graph") == before


def test_relative_iri_resolves_against_base(run: Runner, project: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "relative.ttl", member_count("<rel-count>"))
    base = "https://example.org/"
    checked = ck(run, project, "validate", str(path), "--source", "Test", "--base", base)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    added = ck(run, project, "add", str(path), "--source", "Test", "--base", base)
    assert added.returncode == 0, added.stdout + added.stderr
    assert (URIRef(base + "rel-count"), None, None) in stored(project)
    assert "file:" not in graph_text(project)


@pytest.mark.parametrize("base", ["not an iri", "relative/path", "https://example.org/a b/"])
def test_base_must_be_an_absolute_iri(run: Runner, project: Path, tmp_path: Path,
                                      base: str) -> None:
    path = write(tmp_path, "relative.ttl", member_count("<rel-count>"))
    before = snapshot(project / "graph")
    result = ck(run, project, "add", str(path), "--source", "Test", "--base", base)
    assert_one_line_error(result, "--base", "not an absolute IRI")
    assert snapshot(project / "graph") == before


# --- IRIs of other schemes ---------------------------------------------------------------------


@pytest.mark.parametrize("subject", [
    "mailto:someone@example.org",
    "tag:example.org,2024:rel-count",
    "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
])
def test_any_scheme_works_as_subject(run: Runner, project: Path, tmp_path: Path,
                                     subject: str) -> None:
    path = write(tmp_path, "scheme.ttl", member_count(f"<{subject}>"))
    checked = ck(run, project, "validate", str(path), "--source", "Test")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "TypeError" not in checked.stdout + checked.stderr
    added = ck(run, project, "add", str(path), "--source", "Test")
    assert added.returncode == 0, added.stdout + added.stderr
    assert (URIRef(subject), None, None) in stored(project)


def test_mailto_source_and_object_work(run: Runner, project: Path, tmp_path: Path) -> None:
    """--source '<mailto:...>' makes it the ck:sourceDocument (an object) of the new facts."""
    path = write(tmp_path, "tagged.ttl", member_count("<tag:example.org,2024:count>"))
    source = "<mailto:someone@example.org>"
    checked = ck(run, project, "validate", str(path), "--source", source)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    added = ck(run, project, "add", str(path), "--source", source)
    assert added.returncode == 0, added.stdout + added.stderr
    assert "TypeError" not in added.stderr
    assert (URIRef("tag:example.org,2024:count"), URIRef(CK + "sourceDocument"),
            URIRef("mailto:someone@example.org")) in stored(project)


def test_other_scheme_refused_by_a_shape_gets_a_normal_report(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    path = write(tmp_path, "urn.ttl", member_count("<urn:example:count>",
                                                   cluster="<mailto:not-a-cluster@example.org>"))
    before = snapshot(project / "graph")
    for command in ("validate", "add"):
        result = ck(run, project, command, str(path), "--source", "Test")
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "TypeError" not in result.stderr
        assert "Violation: urn:example:count" in result.stdout
        assert "ck:cluster" in result.stdout
    assert snapshot(project / "graph") == before


# --- IRIs that are not IRIs ----------------------------------------------------------------


@pytest.mark.parametrize(("written", "why"), [
    ("<http://example.org/a b>", "a space"),
    ("<http://example.org/a{b}>", "character {"),
    ("<http://example.org/a|b>", "character |"),
])
def test_validate_and_add_refuse_a_bad_iri_alike(run: Runner, project: Path, tmp_path: Path,
                                                 written: str, why: str) -> None:
    path = write(tmp_path, "bad-iri.ttl", member_count(written))
    before = snapshot(project / "graph")
    checked = ck(run, project, "validate", str(path), "--source", "Test")
    added = ck(run, project, "add", str(path), "--source", "Test")
    line = assert_one_line_error(checked, f"{path}, line 6", written, "not a valid IRI", why)
    assert assert_one_line_error(added) == line
    assert added.stdout == checked.stdout == ""
    assert snapshot(project / "graph") == before


def test_bad_iri_as_object_in_jsonld_is_refused_alike(
    run: Runner, project: Path, tmp_path: Path
) -> None:
    inline = {"ck": CK, "xsd": "http://www.w3.org/2001/XMLSchema#"}
    doc = json.loads(jsonld_count(inline))
    doc["ck:cluster"] = {"@id": "https://w3id.org/clusterkg/id/nt sc"}
    path = write(tmp_path, "bad-iri.jsonld", json.dumps(doc, indent=2))
    before = snapshot(project / "graph")
    checked = ck(run, project, "validate", str(path), "--source", "Test")
    added = ck(run, project, "add", str(path), "--source", "Test")
    line = assert_one_line_error(checked, f"{path}, line 9", "nt sc>", "a space")
    assert assert_one_line_error(added) == line
    assert snapshot(project / "graph") == before
