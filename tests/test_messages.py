"""What commands print follows --lang, names what a user must find, and ends cleanly.

Each case runs the real command on a copy of the project with the two documents' graphs.
"""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

from conftest import ROOT, Runner, cli_env

NEW_FACTS = """@prefix ck: <https://w3id.org/clusterkg/ontology#> .
@prefix ckr: <https://w3id.org/clusterkg/id/> .
@prefix kind: <https://w3id.org/clusterkg/member-kind/> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix t: <https://w3id.org/clusterkg/id/fact/t/> .

t:half a ck:MemberCount ; ck:cluster ckr:nscc ; ck:memberKind kind:all ; ck:count 12.5 ;
    ck:assertionMode ck:stated ; ck:sourceDocument <urn:test:report> .
t:words a ck:MemberCount ; ck:cluster ckr:nscc ; ck:memberKind kind:all ; ck:count "twelve" ;
    ck:assertionMode ck:stated ; ck:sourceDocument <urn:test:report> .
t:grant a ck:Grant ; schema:fundedItem ckr:nscc ; ck:annualAmount 5 ; schema:currency "NOK" ;
    schema:funder ckr:siva ; ck:period t:grant-period ;
    ck:assertionMode ck:stated ; ck:sourceDocument <urn:test:report> .
t:grant-period a ck:Period ; ck:startDate "2020"^^xsd:gYear ; ck:endDate "2019"^^xsd:gYear .
<urn:test:report> a ck:SourceDocument ; <http://www.w3.org/2000/01/rdf-schema#label> "Rapport" .
"""


def blocks(stdout: str) -> list[str]:
    return [b for b in stdout.split("\n\n") if b.strip()]


def test_validate_in_norwegian_prints_every_line_in_norwegian(run: Runner, seed_home: Path,
                                                              tmp_path: Path) -> None:
    facts = tmp_path / "facts.ttl"
    facts.write_text(NEW_FACTS, encoding="utf-8")
    result = run("validate", str(facts), "--lang", "nb", home=seed_home)
    assert result.returncode == 1, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("SHACL-validering: IKKE i samsvar (") and "brudd" in last
    for word in ("Violation", "path:", "value:", "message:", "source:", ", line "):
        assert word not in result.stdout, word
    for word in ("Brudd: ", "melding:", ", linje "):
        assert word in result.stdout, word
    english = run("validate", str(facts), home=seed_home)
    assert english.stdout.strip().splitlines()[-1].startswith("SHACL validation: does NOT conform")


def test_a_period_that_ends_before_it_starts_names_its_fact(run: Runner, seed_home: Path,
                                                            tmp_path: Path) -> None:
    facts = tmp_path / "facts.ttl"
    facts.write_text(NEW_FACTS, encoding="utf-8")
    result = run("validate", str(facts), home=seed_home)
    period = [b for b in blocks(result.stdout) if "ends (2019) before it starts (2020)" in b]
    assert len(period) == 1
    assert "of the fact ckr:fact/t/grant" in period[0]
    norsk = run("validate", str(facts), "--lang", "nb", home=seed_home)
    assert "i faktumet ckr:fact/t/grant slutter" in norsk.stdout


def test_a_count_that_is_not_a_whole_number_breaks_the_datatype_rule(
    run: Runner, seed_home: Path, tmp_path: Path
) -> None:
    facts = tmp_path / "facts.ttl"
    facts.write_text(NEW_FACTS, encoding="utf-8")
    result = run("validate", str(facts), home=seed_home)
    counts = [b for b in blocks(result.stdout) if "path:       ck:count" in b]
    values = sorted(line.split(":", 1)[1].strip() for b in counts for line in b.splitlines()
                    if line.strip().startswith("value:"))
    assert values == ['"12.5"^^xsd:decimal', '"twelve"'], result.stdout  # both found, once each
    for block in counts:
        assert "sh:OrConstraintComponent" in block  # the datatype rule (integer)
        assert "MinInclusive" not in block


def test_a_closed_pipe_ends_any_command_quietly(seed_home: Path) -> None:
    """`clusterkg analyze | head -1` exits 0 with nothing on stderr, as `cat` does."""
    for args in (["analyze"], ["query", "hosts"], ["stats"], ["export", "-f", "graphml"]):
        command = [sys.executable, "-m", "clusterkg", "--home", str(seed_home), *args]
        shell = " ".join(f"'{a}'" for a in command) + " | head -c 20 >/dev/null"
        result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True,
                                text=True, env=cli_env(), timeout=300, check=False)
        assert (result.returncode, result.stderr) == (0, ""), (args, result.stderr)


def display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_the_demo_fits_80_columns(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clusterkg", "demo", "--out", str(tmp_path / "dist")],
        capture_output=True, text=True, env=cli_env(COLUMNS="80"), cwd=ROOT, timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 20
    wide = [line for line in lines if display_width(line) > 80]
    assert wide == []
    # the answers a newcomer asks for are there
    for heading in ("clusters", "hosts", "conflicts"):
        assert heading in result.stdout
