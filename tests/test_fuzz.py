"""Fuzzing (issue #12): fixed-seed corpora of malformed and hostile input for every reader.

Why fixed seeds and no Hypothesis: a fuzz case that fails must replay from its seed alone,
on any machine, and Hypothesis is not a dependency. Each generator takes
``random.Random("family-seed")``, so the corpus is the same on every run and a failure names
the seed that reproduces it.

Where the inputs go, by cost. A CLI subprocess costs about a second (Python and rdflib
start), so each CLI case carries one hostile input, 35 in all, most drawn from the
corpora below. The hundreds go where they are cheap: in-process calls to the readers, the
query guard and the binding of parameters (they must raise nothing but ClusterKGError), and
HTTP requests to one `clusterkg serve` started for this module.

The contract every case is held to:

* the CLI exits 0, 1 or 2, with no traceback and no signal; an exit 2 ends with a
  ``clusterkg: error:`` line that is not the catch-all ``unexpected ...`` (that line means an
  exception nobody planned for reached main());
* ``graph/`` is byte-identical after a refusal, and after any read-only command; a write that
  succeeded left only TriG files of one named graph each, whose IRIs are absolute and valid
  and which Oxigraph (what every later command loads graph/ with) reads;
* nothing connects to the ``listener`` (a TCP port on 127.0.0.1 every hostile input names),
  except a SERVICE query given ``--federated`` (the one positive case, which proves the
  listener would have seen a fetch);
* `serve` answers every request with 2xx or 4xx, logs no traceback, and answers ``ASK {}``
  within a second afterwards.

Bugs this module found stay as named regression cases (each says what happened before its
fix): readers that crashed, IRIs that made the project unreadable, a traceback in the
server's log. A bug found next goes in as an ``xfail(strict=True)`` case with its reason, so
its fix shows up as an XPASS to remove the mark from.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rdflib import Dataset, Literal, URIRef

from clusterkg.errors import ClusterKGError
from conftest import (
    ROOT,
    Listener,
    Runner,
    cli_env,
    copy_seed_project,
    snapshot,
    start_serve,
    stop_serve,
)

#: rdflib's parsers warn about their own deprecated internals thousands of times a run.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FACTS = ROOT / "tests" / "data" / "facts"
BOM = b"\xef\xbb\xbf"
UNEXPECTED = "clusterkg: error: unexpected "
#: Relative IRIs in a written graph file resolve against this when it is read back here.
SENTINEL_BASE = "http://sentinel.invalid/base/"
ENV = {"USER": "tester"}


# --- seed documents --------------------------------------------------------------------------


def seed_documents() -> dict[str, bytes]:
    """One small valid document per RDF syntax, to mutate from."""
    ttl = (FACTS / "good.ttl").read_bytes()
    prefixes = b"".join(line for line in ttl.splitlines(keepends=True)
                        if line.startswith(b"@prefix"))
    body = b"".join(line for line in ttl.splitlines(keepends=True)
                    if not line.startswith((b"@prefix", b"#")))
    nt = (FACTS / "count.nt").read_bytes().replace(b'"-1"', b'"118"')
    return {
        "ttl": ttl,
        "trig": prefixes + b"<https://w3id.org/clusterkg/graph/fuzz> {\n" + body + b"}\n",
        "nt": nt,
        "jsonld": (FACTS / "count.jsonld").read_bytes(),
    }


SEEDS = seed_documents()


# --- the byte-level mutator ------------------------------------------------------------------


def hostile_iris(url: str) -> list[str]:
    """IRIs that are not IRIs, are relative, point at local files or at the listener."""
    return [
        "file:///etc/passwd", "rel", "", "#frag", "//host/x", "./../../etc/hostname",
        "http://a b", "http://a/\x00", "http://a/\x7f", "http://a/\u202e", "http://a/{b}",
        "http://a/|", "http://a/^", "http://a/`", "http://a/\\", "http://a/%zz",
        "javascript:alert(1)", "http://[::1", "ht tp://a", "\ufeffhttp://a/", f"{url}/x",
        "urn:x:" + "a" * 5000, "mailto:a@b", "data:,x", "HTTP://A/%41",
    ]


INSERTS: tuple[bytes, ...] = (
    b"\x00", b"\r", b"\r\n", b"\n\n", BOM, b"\xed\xa0\x80", b"\xff", b"\xc3", b"\xf4\x90\x80\x80",
    b"\\u0000", b"\\uD800", b"\\U00110000", b"\\q", b"\\u12", b'"', b'"""', b"'", b"<", b">",
    b"[", b"]", b"(", b")", b"{", b"}", b".", b";", b",", b"@prefix", b"@base <file:///etc/> .\n",
    b"PREFIX : <file:///> ", b"GRAPH", b"_:b", b"\\", b"#", b"%", "\u202e".encode(),
    "\U0001f4a9".encode(), b"^^", b"@", b" a ", b" true ", b"1e999999", b"-0", b"9" * 5000,
    b'"@context"', b'"@import"', b'"@id"', b'"@type"', b"null", b"\t", b" ",
)


def mutate(data: bytes, rng: random.Random, url: str) -> bytes:
    """One to four random edits: cut, insert, delete, repeat, swap brackets, swap an IRI."""
    out = bytearray(data)
    iris = [i.encode("utf-8", "surrogatepass") for i in hostile_iris(url)]
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(out))
        op = rng.choice(("cut", "insert", "insert", "delete", "repeat", "bracket", "iri",
                         "iri", "number", "huge"))
        if op == "cut":
            del out[at:]
        elif op == "insert":
            out[at:at] = rng.choice(INSERTS)
        elif op == "delete":
            del out[at:at + rng.randint(1, 40)]
        elif op == "repeat":
            out[at:at] = out[at:at + rng.randint(1, 80)] * rng.randint(2, 50)
        elif op == "bracket":
            spots = [i for i, b in enumerate(out) if b in b"[](){}<>"]
            if spots:
                out[rng.choice(spots)] = rng.choice(b"[](){}<>")
        elif op == "iri":
            found = list(re.finditer(rb'<[^<>\s]*>|"(?:https?|urn)[^"]*"', bytes(out)))
            if found:
                match = rng.choice(found)
                quote = out[match.start():match.start() + 1]
                close = b">" if quote == b"<" else quote
                out[match.start():match.end()] = quote + rng.choice(iris) + close
        elif op == "number":
            found = list(re.finditer(rb"\d+", bytes(out)))
            if found:
                match = rng.choice(found)
                out[match.start():match.end()] = rng.choice(
                    (b"9" * 400, b"-0", b"1e400", b"NaN", b"0x1F", b"1_000", b"\xd9\xa1"))
        else:
            out[at:at] = b'"' + b"x" * 70_000 + b'"'
    return bytes(out)


# --- RDF corpora -----------------------------------------------------------------------------


def deep(open_: str, close: str, depth: int) -> bytes:
    return (open_ * depth + close * depth).encode()


def structure_case(fmt: str, rng: random.Random) -> bytes:
    """Inputs no mutation of a small file reaches: nesting, sizes, garbage, nothing."""
    prefix = b"@prefix : <https://w3id.org/clusterkg/id/> .\n"
    if fmt == "jsonld":
        # Shallow nesting here; ~1000 levels and more (refused, as Python's JSON parser
        # cannot follow them) are test_readers_refuse_or_read_what_once_crashed_them's.
        depth = rng.randint(2, 150)
        return rng.choice((
            b'{"@id": "https://w3id.org/clusterkg/id/a", "https://w3id.org/clusterkg/id/p": '
            + deep('{"@list": [', "]}", depth) + b"}",
            deep("[", "]", depth),
            b'{"@graph": ' + deep("[", "]", depth) + b"}",
            b"", b"   \n", BOM, b"null", b"42", b'"@context"', b"[1, 2, null]",
            rng.randbytes(rng.randint(1, 3000)),
            b'{"@id": "https://w3id.org/clusterkg/id/a", "https://w3id.org/clusterkg/id/p": '
            + b"9" * 5000 + b"}",
        ))
    if fmt == "nt":
        s = b"<https://w3id.org/clusterkg/id/a> <https://w3id.org/clusterkg/id/p> "
        return rng.choice((
            s + b'"\\uD800" .\n', s + b'"\\U00110000" .\n', s + b'"\\q" .\n',
            s + b'"a\x00b" .\n', s + b"_:" + b"b" * 100_000 + b" .\n", s + b'"x"@-- .\n',
            s + b'"x"^^<http://www.w3.org/2001/XMLSchema#date> .\n', s + b"<rel> .\n",
            b"", b"\n" * 1000, rng.randbytes(rng.randint(1, 3000)),
            (s + b'"x" .\n') * 20_000,
        ))
    depth = rng.choice((50, 500, 5000))
    body = rng.choice((
        b":s :p " + deep("[ :p ", " ]", depth) + b" .",
        b":s :p " + deep("( ", " )", depth) + b" .",
        b":s :p " + deep("[ :p ( ", " ) ]", depth // 2) + b" .",
        b"".join(b"@prefix p%d: <http://a/%d/> .\n" % (i, i) for i in range(500)) + b":s :p 1 .",
        b":s :p <" + b"a" * 100_000 + b"> .",
        b'@base <file:///etc/> .\n:s :p <passwd> .',
        b":s :p " + b"1" * 5000 + b" .",
        b"# only a comment\n",
        b"",
        rng.randbytes(rng.randint(1, 3000)),
    ))
    graph = b"<https://w3id.org/clusterkg/graph/" + rng.choice((b"x> ", b"x y> ", b"> ")) \
        if fmt == "trig" else b""
    return prefix + (graph + b"{ " + body + b" }" if graph else body)


def remote_context_case(rng: random.Random, url: str) -> bytes:
    """count.jsonld with a context given by reference somewhere: it must never be fetched."""
    doc: Any = json.loads(SEEDS["jsonld"])
    inline = doc["@context"]
    target = rng.choice((f"{url}/context.jsonld", f"{url}", "file:///etc/passwd",
                         "context.jsonld", "//127.0.0.1/x", f"{url}/x#y"))
    place = rng.choice(("top", "array", "node", "scoped", "import", "graph", "list",
                        "included", "reverse", "nested-import", "type-scoped"))
    if place == "top":
        doc["@context"] = target
    elif place == "array":
        doc["@context"] = [inline, target] if rng.random() < 0.5 else [target, inline]
    elif place == "node":
        doc["ck:cluster"] = {"@context": target, "@id": "https://w3id.org/clusterkg/id/ntsc"}
    elif place == "scoped":
        doc["@context"] = {**inline, "ck:cluster": {"@type": "@id", "@context": [target]}}
    elif place == "import":
        doc["@context"] = {"@import": target, **inline}
    elif place == "graph":
        doc = {"@context": inline, "@graph": [{**doc, "@context": target}]}
    elif place == "list":
        doc["ck:note"] = {"@list": [{"@context": target, "@id": "https://a.example/x"}]}
    elif place == "included":
        doc["@included"] = [{"@context": [target], "@id": "https://a.example/x"}]
    elif place == "reverse":
        doc["@reverse"] = {"ck:about": {"@context": target, "@id": "https://a.example/x"}}
    elif place == "nested-import":
        doc["@context"] = [inline, {"ck:x": {"@id": "ck:x", "@context": {"@import": target}}}]
    else:
        doc["@context"] = {**inline, "ck:MemberCount": {"@id": "ck:MemberCount",
                                                        "@context": target}}
    text = json.dumps(doc, indent=rng.choice((None, 2)))
    return text.encode()


def rdf_case(fmt: str, seed: int, url: str) -> bytes:
    """The fuzz input ``seed`` of syntax ``fmt`` (ttl, trig, nt, jsonld)."""
    rng = random.Random(f"rdf-{fmt}-{seed}")
    family = rng.choices(("mutate", "structure", "context"),
                         weights=(7, 2, 3 if fmt == "jsonld" else 0))[0]
    if family == "structure":
        return structure_case(fmt, rng)
    if family == "context":
        data = remote_context_case(rng, url)
        return mutate(data, rng, url) if rng.random() < 0.3 else data
    return mutate(SEEDS[fmt], rng, url)


# --- CSV corpora -----------------------------------------------------------------------------

HOSTILE_CELLS = (
    "", " ", "=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1+1)", "\x00", '"', "a\nb", "a\r\nb",
    "x" * 5000, "9" * 5000, "2024-02-30", "99999-01-01", "0000-00-00", "2024-13", "1e9999",
    "NaN", "-0", "1_000", "\u0661\u0662", "<file:///etc/passwd>", "<http://a b>", "<>", "<rel>",
    "ckr:nscc", "ckr:", "ckr:../../x", "urn:x", "https://a b", "\u202e", "\U0001f4a9", "nok",
    "EUR;USD", ";", ",", "  NSCC  ", "Norwegian Smart Care Cluster", "Validé AS", "true",
    "ja", "maybe", "2019", "2019-07-01", "10:00", "25:61", "1.5", "6 000 000", "6,5",
    "Innovasjon Norge; SIVA", "\ufeffname", "\t", "#", "'", "ckr:nscc; ckr:nscc",
    "http://example.org/a#b#c", "<urn:x[1]>", "https://example.org/[x]",
)


def csv_case(kind_name: str, seed: int) -> bytes:
    """A filled-in template of ``kind_name`` (the columns' own examples), then mutated."""
    import csv
    import io

    from clusterkg.spreadsheet import KINDS

    rng = random.Random(f"csv-{kind_name}-{seed}")
    kind = KINDS[kind_name]
    header = kind.column_names()
    rows = [[c.example for c in kind.columns] for _ in range(rng.randint(1, 3))]
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(("cell", "cell", "cell", "drop", "rename", "dup", "extra", "short",
                         "long", "blank", "spelling"))
        column = rng.randrange(len(header))
        row = rng.choice(rows)
        if op == "cell" and row:
            row[rng.randrange(len(row))] = rng.choice(HOSTILE_CELLS)
        elif op == "drop":
            del header[column]
            for r in rows:
                del r[column:column + 1]
        elif op == "rename":
            header[column] = rng.choice(("", "x", "Cluster", "COUNT", "amount-per-year",
                                         "\x00", "name name", "\ufeffcluster"))
        elif op == "dup":
            header.append(header[column])
        elif op == "extra":
            row.extend(rng.choice(HOSTILE_CELLS) for _ in range(rng.randint(1, 3)))
        elif op == "short":
            del row[rng.randint(0, len(row)):]
        elif op == "long":
            header.extend(f"col{i}" for i in range(rng.randint(1, 50)))
        elif op == "blank":
            rows.insert(rng.randint(0, len(rows)), [""] * len(header))
        else:
            header[column] = rng.choice((" ", "-")).join(header[column].upper().split("_"))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=rng.choice((",", ",", ";")))
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    if rng.random() < 0.3:
        data = BOM + data
    if rng.random() < 0.4:
        edits = {"cut": lambda d: d[:rng.randint(0, len(d))],
                 "nul": lambda d: d.replace(b",", b",\x00", 1),
                 "latin1": lambda d: d + "Tromsø,ø\n".encode("latin-1"),
                 "quote": lambda d: d.replace(b",", b',"', 1),
                 "cr": lambda d: d.replace(b"\r\n", b"\r"),
                 "lf": lambda d: d.replace(b"\r\n", b"\n")}
        data = edits[rng.choice(sorted(edits))](data)
    return data


# --- SPARQL corpora --------------------------------------------------------------------------

SERVICE_SPELLINGS = (
    "SERVICE", "service", "SeRvIcE", "\\u0053ERVICE", "\\U00000053ERVICE", "SERV\\u0049CE",
    "\\u0073\\u0065rvice", "SERVICE SILENT", "service\tsilent", "SERVICE\\u0020SILENT",
)
SEPARATORS = (" ", "", "\n", "\t", "\r\n", "#comment\n", "  #\\u0041\n", "\f")
FORMS = (
    "SELECT * WHERE {{ {body} }}", "ASK {{ {body} }}", "SELECT * {{ {body} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {body} }}", "DESCRIBE ?s WHERE {{ {body} }}",
    "SELECT (COUNT(*) AS ?n) WHERE {{ {body} }} GROUP BY ?s",
)
WRAPPERS = (
    "{svc}", "OPTIONAL {{ {svc} }}", "{{ }} UNION {{ {svc} }}", "MINUS {{ {svc} }}",
    "GRAPH ?g {{ {svc} }}", "FILTER EXISTS {{ {svc} }}", "FILTER NOT EXISTS {{ {svc} }}",
    "{{ SELECT * WHERE {{ {svc} }} LIMIT 1 }}", "?s ?p \"\\u0041\" # \n {svc}",
    "FILTER(?q<?r){svc}", "BIND(\"#\" AS ?h) {svc}", "?s ?p '''SERVICE''' . {svc}",
)


def disguised_service(seed: int, url: str) -> str:
    """A query with a real SERVICE call to the listener, spelled to slip past a text search."""
    rng = random.Random(f"service-{seed}")
    keyword = rng.choice(SERVICE_SPELLINGS)
    preamble = ""
    target = rng.choice(("iri", "iri", "prefixed", "variable", "relative", "escaped"))
    if target == "iri":
        name = f"<{url}/sparql>"
    elif target == "prefixed":
        preamble, name = f"PREFIX fz: <{url}/>\n", "fz:sparql"
    elif target == "variable":
        preamble, name = "", "?svc"
    elif target == "relative":
        preamble, name = f"BASE <{url}/>\n", "<sparql>"
    else:
        name = "<\\u0068ttp" + url.removeprefix("http") + "/sparql>"
    call = keyword + rng.choice(SEPARATORS) + name + rng.choice(SEPARATORS) + "{ ?s ?p ?o }"
    if rng.random() < 0.2:
        call = f"{keyword}?x#>\n{{ ?s ?p ?o }}"  # ?q<?r)SERVICE?x#> once read as an IRI
        name = "?x"
    body = rng.choice(WRAPPERS).format(svc=call)
    if name.startswith("?"):
        body = f"VALUES {name} {{ <{url}/sparql> }} " + body
    return preamble + rng.choice(("", "# fuzz\n")) + rng.choice(FORMS).format(body=body)


SOUP = (
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FROM", "NAMED", "GRAPH", "OPTIONAL",
    "UNION", "MINUS", "FILTER", "BIND", "VALUES", "SERVICE", "SILENT", "EXISTS", "NOT", "AS",
    "LIMIT", "OFFSET", "ORDER", "BY", "GROUP", "HAVING", "DISTINCT", "PREFIX", "BASE", "LOAD",
    "INSERT", "DELETE", "DATA", "DROP", "ALL", "CLEAR", "UNDEF", "a", "true", "COUNT", "STR",
    "IRI", "REGEX", "CONCAT", "IN", "{", "}", "{", "}", "(", ")", "[", "]", ".", ";", ",",
    "*", "?x", "?y", "$z", "_:b", "<>", "=", "!=", "<", ">", "&&", "||", "!", "^", "/", "|",
    "+", "?", "#", "\n", '"s"', "'t'", '"""u"""', "1", "-2.5e3", "@en", "^^", "fz:", ":y",
    "\\u0053ERVICE", "\\u007B", "\\u0022", "\\", "\x00", "\u202e", "SERVICE",
)


def shaped_query(seed: int, url: str) -> str:
    """A well-formed query of random parts: FROM the listener or a local file, its URL in
    values, strings and comments, and now and then a plain SERVICE call (to be refused)."""
    rng = random.Random(f"shaped-{seed}")
    names = iter(range(1000))

    def term() -> str:
        return rng.choice((f"<{url}/x>", "<https://w3id.org/clusterkg/id/s>", "fz:x", "<urn:a>",
                           "<file:///etc/hostname>", '"SERVICE"', "1"))

    def pattern(depth: int) -> str:
        n = next(names)
        options = ["?s ?p ?o", f"?s ?p {term()}", f"FILTER(?o != {term()})",
                   f'FILTER(CONTAINS(STR(?s), "SERVICE <{url}> {{}}"))', f"BIND({term()} AS ?b{n})",
                   f"VALUES ?v{n} {{ {term()} UNDEF }}", f"# SERVICE <{url}> {{ }}\n",
                   "?s <urn:SERVICE> ?o", f'BIND(IRI("{url}/y") AS ?i{n})']
        if depth < 3:
            inner, other = pattern(depth + 1), pattern(depth + 1)
            options += [f"OPTIONAL {{ {inner} }}", f"{{ {inner} }} UNION {{ {other} }}",
                        f"MINUS {{ {inner} }}", f"GRAPH ?g{n} {{ {inner} }}",
                        f"FILTER EXISTS {{ {inner} }}",
                        f"{{ SELECT * WHERE {{ {inner} }} LIMIT 2 }}"]
        if rng.random() < 0.05:
            options = [f"SERVICE <{url}/sparql> {{ ?s ?p ?o }}"]
        return " . ".join(rng.choice(options) for _ in range(rng.randint(1, 3)))

    sources = " ".join(rng.choice((f"FROM <{url}/g>", "FROM <file:///etc/hostname>",
                                   f"FROM NAMED <{url}/n>", "")) for _ in range(rng.randint(0, 2)))
    form = rng.choice(("SELECT * {f} WHERE {{ {p} }} LIMIT 5", "ASK {f} {{ {p} }}",
                       "CONSTRUCT {{ ?s ?p ?o }} {f} WHERE {{ {p} }} LIMIT 5",
                       "DESCRIBE ?s {f} WHERE {{ {p} }} LIMIT 1",
                       "SELECT (COUNT(*) AS ?n) {f} WHERE {{ {p} }}"))
    return f"PREFIX fz: <{url}/>\n" + form.format(f=sources, p=pattern(0))


def soup(seed: int, url: str) -> str:
    """Random SPARQL-ish tokens, with the listener's URL among them."""
    rng = random.Random(f"soup-{seed}")
    pool = (*SOUP, f"<{url}>", f"<{url}/sparql>", f"PREFIX fz: <{url}/>", f"FROM <{url}>",
            "FROM <file:///etc/hostname>", "SELECT * WHERE {", "}", f"SERVICE <{url}> {{")
    joiner = rng.choice((" ", " ", "", "\n", "\t"))
    return joiner.join(rng.choice(pool) for _ in range(rng.randint(1, 40)))


# --- the CLI contract ------------------------------------------------------------------------


def assert_cli_contract(result: subprocess.CompletedProcess[str], *, home: Path,
                        before: dict[str, str], writes: bool) -> None:
    """Exit 0/1/2, no traceback, a planned error line, graph/ as the rules above say."""
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    if result.returncode == 2:
        last = (result.stderr.splitlines() or [""])[-1]
        assert last.startswith("clusterkg: error: "), result.stderr[-3000:]
        assert not last.startswith(UNEXPECTED), last
    after = snapshot(home)
    outside = {k: v for k, v in after.items() if not k.startswith("graph/")}
    assert outside == {k: v for k, v in before.items() if not k.startswith("graph/")}
    if not writes or result.returncode != 0:
        assert after == before, "graph/ changed although nothing was written"
        return
    for name in sorted(set(after) - set(before)) + [k for k in before if k in after
                                                     and after[k] != before[k]]:
        assert re.fullmatch(r"graph/[a-z0-9][a-z0-9-]*\.trig", name), name
        assert_clean_graph_file(home / name)


def assert_clean_graph_file(path: Path) -> None:
    """A written graph file parses, and every IRI in it is absolute and valid."""
    from clusterkg.iricheck import iri_problem, iris_of

    dataset = Dataset()
    dataset.parse(path, format="trig", publicID=SENTINEL_BASE)
    graphs = {str(q[3]) for q in dataset.quads((None, None, None, None))}
    assert len(graphs) == 1 and "urn:x-rdflib:default" not in graphs, graphs
    iris = iris_of(dataset.quads((None, None, None, None)))
    bad = sorted(i for i in iris if i.startswith(SENTINEL_BASE) or iri_problem(i))
    assert not bad, f"{path.name} holds IRIs that are relative or invalid: {bad[:5]}"
    assert_oxigraph_reads(path.read_bytes())


def assert_oxigraph_reads(trig: bytes) -> None:
    """Every later command loads graph/ with Oxigraph's strict parser: it must read this."""
    import pyoxigraph as ox

    try:
        list(ox.parse(trig, format=ox.RdfFormat.TRIG, base_iri=SENTINEL_BASE))
    except SyntaxError as exc:
        raise AssertionError(f"Oxigraph cannot read the TriG written: {exc}") from None


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed project, shared by the read-only commands and `serve` (never written)."""
    return copy_seed_project(tmp_path_factory.mktemp("fuzz") / "home")


@pytest.fixture(scope="module")
def fuzz_listener() -> Iterator[Listener]:
    """One listener for the in-process and serve families (each test checks its own delta)."""
    server = Listener()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def tiny_stores() -> tuple[Dataset, Dataset]:
    """An Oxigraph and an rdflib dataset of one triple: engines run fuzz queries instantly
    (a cross product of one triple is one row), so only their behaviour is tested."""
    import pyoxigraph as ox

    from clusterkg.oxstore import fill_union, wrap
    from clusterkg.store import new_dataset

    s, p, o, g = ("https://w3id.org/clusterkg/id/s", "https://w3id.org/clusterkg/id/p",
                  "https://w3id.org/clusterkg/id/o", "https://w3id.org/clusterkg/graph/g")
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), ox.NamedNode(g)))
    fill_union(store)
    memory = new_dataset()
    memory.graph(URIRef(g)).add((URIRef(s), URIRef(p), URIRef(o)))
    return wrap(store), memory


@pytest.fixture(scope="module")
def seed_dataset(fuzz_home: Path) -> Dataset:
    """The seed project's dataset, loaded in this process for the importer (rdflib's store:
    the importer's label look-ups are ten times faster there than through oxrdflib)."""
    from clusterkg.loader import load_dataset
    from clusterkg.paths import find_home

    return load_dataset(find_home(fuzz_home), "memory")


def run_in_process(cases: Iterator[tuple[str, Callable[[], object]]],
                   listener: Listener) -> tuple[list[str], int, int]:
    """Call each case; collect anything but ClusterKGError, and any connection, as failures.

    Returns (failures, how many returned, how many raised ClusterKGError).
    """
    failures: list[str] = []
    passed = refused = 0
    for name, call in cases:
        seen = len(listener.requests)
        try:
            call()
        except ClusterKGError:
            refused += 1
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
        except Exception as exc:
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
        else:
            passed += 1
        if len(listener.requests) != seen:
            failures.append(f"{name}: connected to the listener: {listener.requests[-1][:80]!r}")
    return failures, passed, refused


# --- in process: the RDF readers -------------------------------------------------------------

RDF_CASES = 70


@pytest.mark.parametrize("fmt", ["ttl", "trig", "nt", "jsonld"])
def test_rdf_reader_raises_only_clusterkg_errors(fmt: str, tmp_path: Path,
                                                 fuzz_listener: Listener) -> None:
    """delta.read_file (what `validate FILE` and `add` read with) on mutated documents."""
    from clusterkg.delta import read_file
    from clusterkg.iricheck import iri_problem, iris_of

    def case(seed: int) -> Callable[[], object]:
        path = tmp_path / f"case.{fmt}"  # one file, rewritten: cases run one at a time
        path.write_bytes(rdf_case(fmt, seed, fuzz_listener.url))

        def call() -> None:
            parsed = read_file(path)
            bad = sorted(i for i in iris_of(parsed.graph)
                         if iri_problem(i) or i.lower().startswith("file:"))
            assert not bad, f"accepted IRIs that graph/ must not hold: {bad[:3]}"
        return call

    failures, passed, refused = run_in_process(
        ((f"seed {seed}", case(seed)) for seed in range(RDF_CASES)), fuzz_listener)
    assert not failures, "\n".join(failures)
    assert passed >= 5 and refused >= 20, (passed, refused)  # both paths were exercised


def test_remote_jsonld_contexts_are_always_refused(tmp_path: Path,
                                                   fuzz_listener: Listener) -> None:
    """Every placement of a context reference is refused before rdflib could fetch it."""
    from clusterkg.delta import read_file

    refusals = []
    for seed in range(60):
        path = tmp_path / "context.jsonld"
        path.write_bytes(remote_context_case(random.Random(f"context-{seed}"),
                                             fuzz_listener.url))
        seen = len(fuzz_listener.requests)
        with pytest.raises(ClusterKGError) as refused:
            read_file(path)
        assert len(fuzz_listener.requests) == seen, (seed, path.read_text())
        refusals.append(refused.value.message)
    assert all("JSON-LD context" in m for m in refusals), [m for m in refusals
                                                           if "JSON-LD context" not in m][:3]


# --- in process: spreadsheets ----------------------------------------------------------------

CSV_CASES = 22


@pytest.mark.parametrize("kind", ["clusters", "organisations", "memberships", "member-counts",
                                  "grants", "people", "announcements", "renames", "programme"])
def test_spreadsheet_import_raises_only_clusterkg_errors(
    kind: str, tmp_path: Path, seed_dataset: Dataset, fuzz_listener: Listener
) -> None:
    """read_rows and the importer on mutated templates; what they accept can be written."""
    from clusterkg.iricheck import iri_problem, iris_of
    from clusterkg.sources import serialize_graph
    from clusterkg.spreadsheet import KINDS, import_rows, read_rows

    document = URIRef("https://w3id.org/clusterkg/id/document/fuzz")
    name = URIRef("https://w3id.org/clusterkg/graph/fuzz")

    def case(seed: int) -> Callable[[], object]:
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(csv_case(kind, seed))

        def call() -> None:
            rows = read_rows(path, KINDS[kind])
            made = import_rows(seed_dataset, KINDS[kind], path, rows, graph_slug="fuzz",
                               document=document)
            bad = sorted(i for i in iris_of(made.graph) if iri_problem(i))
            assert not bad, f"made invalid IRIs: {bad[:3]}"
            back = Dataset()
            back.parse(data=serialize_graph(name, made.graph).decode(), format="trig")
            assert len(back) == len(made.graph), "the TriG `import` writes does not read back"
            assert_oxigraph_reads(serialize_graph(name, made.graph))
        return call

    failures, passed, refused = run_in_process(
        ((f"seed {seed}", case(seed)) for seed in range(CSV_CASES)), fuzz_listener)
    assert not failures, "\n".join(failures)
    assert refused >= 5, (passed, refused)


# --- in process: queries, the guard and parameters -------------------------------------------


def test_guard_refuses_every_disguised_service(fuzz_listener: Listener) -> None:
    """queryguard.check refuses SERVICE however it is spelled, placed or hidden."""
    from clusterkg.queryguard import QueryRefused, check

    let_through, parsed = [], 0
    for seed in range(200):
        text = disguised_service(seed, fuzz_listener.url)
        try:
            check(text)
        except QueryRefused as exc:
            parsed += exc.message.startswith("SERVICE is not allowed")
            continue
        let_through.append(f"seed {seed}: {text!r}")
    assert not let_through, "\n".join(let_through)
    # Most were read as SERVICE patterns by the parser (the rest it could not parse, and
    # refused as such): the corpus is SPARQL that federates, not noise.
    assert parsed >= 120, parsed


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_no_query_fetches_anything_or_raises_another_error(
    store: str, tiny_stores: tuple[Dataset, Dataset], fuzz_listener: Listener
) -> None:
    """run_query (the CLI's and serve's path) on token soup and disguised SERVICE calls.

    The engine really runs what the guard lets through, so the listener is the oracle: a
    SERVICE or FROM the guard missed would connect to it.
    """
    from clusterkg.store import run_query

    dataset = tiny_stores[0 if store == "oxigraph" else 1]
    queries = [(f"soup {seed}", soup(seed, fuzz_listener.url)) for seed in range(80)]
    queries += [(f"shaped {seed}", shaped_query(seed, fuzz_listener.url)) for seed in range(100)]
    queries += [(f"service {seed}", disguised_service(seed, fuzz_listener.url))
                for seed in range(0, 200, 8)]
    failures, passed, refused = run_in_process(
        ((name, lambda text=text: run_query(dataset, text)) for name, text in queries),
        fuzz_listener)
    assert not failures, "\n".join(failures)
    assert passed >= 40 and refused >= 80, (passed, refused)


def test_from_loads_neither_the_network_nor_local_files(
    tmp_path: Path, tiny_stores: tuple[Dataset, Dataset], fuzz_listener: Listener
) -> None:
    """FROM / FROM NAMED pick graphs of the dataset; they never load what they name."""
    from clusterkg.store import run_query

    marker = tmp_path / "marker.ttl"
    marker.write_text('<urn:fuzz:s> <urn:fuzz:p> "loaded from a local file" .\n')
    sources = [f"<{fuzz_listener.url}/graph>", f"<{marker.as_uri()}>", "<file:///etc/hostname>",
               f"<{fuzz_listener.url}/\\u0067raph>"]
    ran = 0
    for dataset in tiny_stores:
        for source in sources:
            for clause in ("FROM", "FROM NAMED"):
                seen = len(fuzz_listener.requests)
                text = (f"SELECT ?o {clause} {source} WHERE {{ {{ ?s ?p ?o }} UNION "
                        "{ GRAPH ?g { ?s ?p ?o } } }")
                try:
                    result = run_query(dataset, text)
                except ClusterKGError:
                    continue
                ran += 1
                assert "loaded from a local file" not in str(result.rows), (source, clause)
                assert len(fuzz_listener.requests) == seen, (source, clause)
    assert ran >= 12, ran  # the engines ran them: the listener and the marker were asked


def random_text(rng: random.Random) -> str:
    """A string with quotes, escapes, SPARQL syntax, controls and non-ASCII (no surrogates)."""
    pieces = ('"', "'", '"""', "\\", "\\u0022", "\\U00000022", "}", "{", "#", ">", "<", "\n",
              "\r", "\t", "\x00", "\x7f", "\u2028", "\ufeff", "\U0001f4a9", "ø", "é", "DROP ALL",
              "SERVICE <http://127.0.0.1:9/> {}", '"}; DROP ALL; #', "?x", "$y", "@en", "^^",
              "\\n", "\\\\u0022", "a", " ", "0")
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_bound_strings_arrive_unchanged(store: str, tiny_stores: tuple[Dataset, Dataset],
                                        fuzz_listener: Listener) -> None:
    """A parameter is a term, never query text: whatever it holds comes back as it went in."""
    from clusterkg.store import run_query

    dataset = tiny_stores[0 if store == "oxigraph" else 1]
    text = "SELECT ?x ?n WHERE { BIND(STRLEN(?x) AS ?n) }"
    seen = len(fuzz_listener.requests)
    wrong = []
    for seed in range(150):
        value = random_text(random.Random(f"string-{seed}"))
        result = run_query(dataset, text, {"x": Literal(value)})
        got = [(str(row[0]), int(row[1])) for row in result.rows]  # type: ignore[arg-type]
        if got != [(value, len(value))]:
            wrong.append(f"seed {seed}: {value!r} came back as {got!r}")
    assert not wrong, "\n".join(wrong)
    assert len(fuzz_listener.requests) == seen


def test_parameters_raise_only_clusterkg_errors(fuzz_home: Path,
                                                tiny_stores: tuple[Dataset, Dataset],
                                                fuzz_listener: Listener) -> None:
    """-p NAME=VALUE for the named queries: parsed, typed, resolved and run, or refused."""
    from clusterkg.catalog import coerce_params, list_queries, parse_assignments, resolve_labels
    from clusterkg.paths import find_home
    from clusterkg.store import run_query

    dataset = tiny_stores[0]
    queries = [q for q in list_queries(find_home(fuzz_home)) if q.params]
    values = ("", " ", "<>", "<rel>", "<http://a b>", f"<{fuzz_listener.url}>",
              f"<{fuzz_listener.url}> }} SERVICE <{fuzz_listener.url}> {{", "ckr:", "ckr:nscc",
              "nope:x", "2019-02-30", "2019-12-31", "-1", "1e9", "9" * 5000, "true", "NSCC",
              "https://w3id.org/clusterkg/id/s", '"}; DROP ALL; #', "\\u003E", "\x7f", "ø")

    def case(seed: int) -> Callable[[], object]:
        rng = random.Random(f"param-{seed}")
        named = rng.choice(queries)
        names = [*named.params, "unknown", "", "x y", "=", "NAME"]
        items = [f"{rng.choice(names)}{rng.choice(('=', '=', ':', ''))}{rng.choice(values)}"
                 for _ in range(rng.randint(0, 3))]

        def call() -> None:
            bound = coerce_params(named, parse_assignments(items))
            run_query(dataset, named.text, resolve_labels(bound, dataset), name=named.name)
        return call

    failures, passed, refused = run_in_process(
        ((f"seed {seed}", case(seed)) for seed in range(120)), fuzz_listener)
    assert not failures, "\n".join(failures)
    assert passed >= 10 and refused >= 10, (passed, refused)


def test_query_file_headers_raise_only_clusterkg_errors(tmp_path: Path, fuzz_home: Path,
                                                        fuzz_listener: Listener) -> None:
    """load_query on named queries whose `#+` YAML header was mutated."""
    from clusterkg.catalog import load_query

    originals = sorted((fuzz_home / "queries").glob("*.rq"))
    snippets = ("5", "[]", "{}", "~", "[a, [b, [c]]]", "{type: nope}", "!!python/name:os.system",
                "!!binary aGk=", "&a [*a]", "*undefined", "'\x00'", "\t", "2024-01-01",
                "{x: {type: integer, default: abc}}", "{x: [1, 2]}", "{1: string}",
                "{x: {type: [string]}}", "[a, b", "\"\\uD800\"", "!!set {a, b}", "@", "`",
                "{'x y': string}", "- a\n#+ - b", "|\n#+   block")
    # Nesting past 50 levels: see test_readers_refuse_or_read_what_once_crashed_them.
    keys = ("summary", "description", "params", "columns", "tags", "other", "params")

    def case(seed: int) -> Callable[[], object]:
        rng = random.Random(f"header-{seed}")
        text = rng.choice(originals).read_text(encoding="utf-8")
        lines = [f"#+ {rng.choice(keys)}: {rng.choice(snippets)}" for _ in range(rng.randint(1, 3))]
        mutated = "\n".join(lines) + "\n" + text if rng.random() < 0.5 else \
            text.replace("#+ ", rng.choice(("#+\t", "#+  ", "#+", "#+ \x00")), rng.randint(1, 3))
        data = mutated.encode("utf-8", "surrogatepass")
        if rng.random() < 0.2:
            data = rng.choice((BOM, b"\xff", b"")) + data
        path = tmp_path / "header.rq"
        path.write_bytes(data)
        return lambda: load_query(path)

    failures, passed, refused = run_in_process(
        ((f"seed {seed}", case(seed)) for seed in range(150)), fuzz_listener)
    assert not failures, "\n".join(failures)
    assert passed >= 10 and refused >= 10, (passed, refused)


IRI_GOOD = ("a", "Z", "0", ":", "/", "?", "#", "@", "!", "$", "&", "'", "(", ")", "*", "+", ",",
            ";", "=", "%41", "-", ".", "_", "~", "ø", "\u00e9", "\U0001f4a9", "[", "]")
IRI_BAD = (" ", "\x00", "\x1f", "\x7f", "\x85", "<", ">", '"', "{", "}", "|", "\\", "^", "`",
           "%zz", "%g0")


def random_iri(seed: int) -> tuple[str, bool]:
    """A scheme and a path of IRI characters, with (True) or without one that no IRI has."""
    rng = random.Random(f"iri-{seed}")
    body = [rng.choice(IRI_GOOD) for _ in range(rng.randint(0, 12))]
    bad = rng.random() < 0.3
    if bad:
        body.insert(rng.randint(0, len(body)), rng.choice(IRI_BAD))
    scheme = rng.choice(("http://", "https://example.org/", "urn:", "tag:", "mailto:", "x-y.z+1:",
                         "", "1a:", "file:"))
    return scheme + "".join(body), bad


def test_iris_that_pass_the_check_are_written_and_read_back_by_rdflib() -> None:
    """iri_problem refuses every IRI with a character no IRI has, and what it accepts is
    written by `add` (serialize_graph) and read back by rdflib as the same IRI."""
    from rdflib import Graph

    from clusterkg.iricheck import iri_problem
    from clusterkg.sources import serialize_graph

    name = URIRef("https://w3id.org/clusterkg/graph/fuzz")
    wrong, accepted = [], 0
    for seed in range(300):
        candidate, bad = random_iri(seed)
        problem = iri_problem(candidate)
        if bad and problem is None:
            wrong.append(f"seed {seed}: {candidate!r} passed")
        if problem is None:
            accepted += 1
            graph = Graph()
            graph.add((URIRef(candidate), URIRef("urn:p"), Literal(1)))
            back = Dataset()
            back.parse(data=serialize_graph(name, graph).decode(), format="trig")
            subjects = {str(q[0]) for q in back.quads((None, None, None, name))}
            if subjects != {candidate}:
                wrong.append(f"seed {seed}: {candidate!r} read back as {subjects}")
    assert not wrong, "\n".join(wrong)
    assert accepted >= 100, accepted


def test_iris_that_pass_the_check_are_read_by_oxigraph() -> None:
    """What `validate FILE` and `add` accept must load where every later command loads it
    (iri_problem once accepted <http://a#b#c>, <urn:x[1]>, <http://a:b/>, U+E000..., which
    `add` wrote and Oxigraph then could not read: every later command failed)."""
    import pyoxigraph as ox

    from clusterkg.iricheck import iri_problem

    refused = []
    for seed in range(300):
        candidate, _ = random_iri(seed)
        if iri_problem(candidate) is None:
            try:
                ox.NamedNode(candidate)
            except ValueError as exc:
                refused.append(f"seed {seed}: {candidate!r}: {exc}")
    assert not refused, "\n".join(refused)


# --- in process: readers that once crashed ------------------------------------------------


def csv_bom_only(directory: Path) -> object:
    from clusterkg.spreadsheet import KINDS, read_rows

    path = directory / "input.csv"
    path.write_bytes(BOM)
    return read_rows(path, KINDS["member-counts"])


def jsonld_deep(directory: Path) -> object:
    from clusterkg.delta import read_file

    path = directory / "input.jsonld"
    path.write_bytes(b'{"@id": "https://a.example/s", "https://a.example/p": '
                     + deep('{"@list": [', "]}", 2000) + b"}")
    return read_file(path)


def header_tags_integer(directory: Path) -> object:
    from clusterkg.catalog import load_query

    path = directory / "input.rq"
    path.write_text("#+ tags: 5\nASK {}\n", encoding="utf-8")
    return load_query(path)


def header_deep_yaml(directory: Path) -> object:
    from clusterkg.catalog import load_query

    path = directory / "input.rq"
    path.write_text("#+ summary: " + "[" * 1000 + "]" * 1000 + "\nASK {}\n", encoding="utf-8")
    return load_query(path)


@pytest.mark.parametrize("reader", [
    pytest.param(csv_bom_only, id="csv-bom-only"),
    pytest.param(jsonld_deep, id="jsonld-nested-2000-deep"),
    pytest.param(header_tags_integer, id="query-header-tags-integer"),
    pytest.param(header_deep_yaml, id="query-header-deep-yaml"),
])
def test_readers_refuse_or_read_what_once_crashed_them(reader: Callable[[Path], object],
                                                      tmp_path: Path) -> None:
    """Inputs that raised IndexError (a CSV of only a BOM), RecursionError (JSON-LD or a
    YAML header ~1000 deep) or TypeError (`tags: 5`): now read, or refused with a message."""
    with contextlib.suppress(ClusterKGError):
        reader(tmp_path)


# --- the CLI ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cli:
    """One CLI run: its arguments (given a work dir and the listener URL), and what it may do."""

    args: Callable[[Path, str], list[str]]
    writes: bool = False
    refused: bool = False  # exit 2 is the only right answer
    store: str | None = None
    check: Callable[[subprocess.CompletedProcess[str]], None] | None = None


def put(directory: Path, name: str, data: bytes | str) -> str:
    path = directory / name
    path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    return str(path)


def rdf_file(fmt: str, seed: int) -> Callable[[Path, str], list[str]]:
    return lambda d, url: [put(d, f"seed-{seed}.{fmt}", rdf_case(fmt, seed, url))]


def rq(text: str | Callable[[str], str], *extra: str) -> Callable[[Path, str], list[str]]:
    def args(d: Path, url: str) -> list[str]:
        body = text(url) if callable(text) else text
        return ["query", put(d, "fuzz.rq", body), *extra]
    return args


def echo_check(value: str) -> Callable[[subprocess.CompletedProcess[str]], None]:
    def check(result: subprocess.CompletedProcess[str]) -> None:
        assert result.returncode == 0, result.stderr
        binding = json.loads(result.stdout)["results"]["bindings"][0]
        assert binding["x"]["value"] == value
    return check


INJECTION = '"}; DROP ALL; #\\u0022 SERVICE <x> {\na\u2028\x7f"""\'\\'
ECHO = ("#+ params:\n#+   x:\n#+     type: string\n#+     required: true\n"
        "SELECT ?x WHERE { BIND(STRLEN(?x) AS ?n) }\n")
GOOD = str(FACTS / "good.ttl")
#: A source name that would be triples outside the graph if the file's header comment ended.
NEWLINES = ("a\n<urn:evil> <urn:p> <urn:o> .\r@prefix x: <file:///> .\u2028\x85\x0b\x0c"
            "GRAPH <urn:g> { <urn:s> <urn:p> <urn:o> }\n" + "\u00c5" * 2000)


CLI_CASES = [
    # validate FILE: read-only, whatever the file holds
    pytest.param(Cli(lambda d, u: ["validate", *rdf_file("ttl", 26)(d, u), "-s", "T"]),
                 id="validate-ttl-seed-26"),
    pytest.param(Cli(lambda d, u: ["validate", put(d, "c.jsonld", remote_context_case(
        random.Random("context-cli"), u)), "-s", "T"], refused=True),
        id="validate-jsonld-remote-context"),
    pytest.param(Cli(lambda d, u: ["validate", put(
        d, "deep.ttl", b"@prefix : <https://a.example/> .\n:s :p " + deep("[ :p ", " ]", 5000)
        + b" ."), "-s", "T"], refused=True), id="validate-5000-nested-blank-nodes"),
    pytest.param(Cli(lambda d, u: ["validate", put(d, "garbage.nt",
                                                   random.Random(0).randbytes(4000))],
                     refused=True), id="validate-binary-garbage"),
    pytest.param(Cli(lambda d, u: ["validate", put(
        d, "latin1.ttl", SEEDS["ttl"].replace(b"140", "140 # Tromsø".encode("latin-1")))],
        refused=True), id="validate-invalid-utf8"),
    pytest.param(Cli(lambda d, u: ["validate", put(
        d, "huge.ttl", SEEDS["ttl"].replace(b"ck:stated .", b'ck:stated ; rdfs:comment "'
                                            + b"x" * 2_000_000 + b'" .', 1)
        .replace(b"@prefix ck:", b"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                 b"@prefix ck:"))]), id="validate-2mb-literal"),
    pytest.param(Cli(lambda d, u: ["validate", put(d, "deep.jsonld", (
        b'{"@id": "https://a.example/s", "https://a.example/p": '
        + deep('{"@list": [', "]}", 2000) + b"}"))], refused=True),
        id="validate-jsonld-nested-2000-deep"),
    # add FILE -s SOURCE: writes only what conforms, under graph/, with valid IRIs
    pytest.param(Cli(lambda d, u: ["add", *rdf_file("ttl", 40)(d, u), "-s", "Fuzz"],
                     writes=True), id="add-ttl-seed-40"),
    pytest.param(Cli(lambda d, u: ["add", GOOD, "-s", "../../etc/passwd"], writes=True),
                 id="add-source-path-traversal"),
    pytest.param(Cli(lambda d, u: ["add", GOOD, "-s", NEWLINES], writes=True),
                 id="add-source-with-newlines-and-turtle"),
    # Once written as given (a relative <rel>, which then resolved against the file's path)
    # or a traceback ("cannot serialize"); IRIs Oxigraph refuses made the project unreadable
    pytest.param(Cli(lambda d, u: ["add", GOOD, "-s", "<rel>"], refused=True),
                 id="add-source-relative-iri"),
    pytest.param(Cli(lambda d, u: ["add", GOOD, "-s", "<>"], refused=True),
                 id="add-source-empty-iri"),
    pytest.param(Cli(lambda d, u: ["add", GOOD, "-s", "<http://a b>"], refused=True),
                 id="add-source-invalid-iri"),
    pytest.param(Cli(lambda d, u: ["add", GOOD, "-s", "<http://a/\udc80>"], refused=True),
                 id="add-source-lone-surrogate"),
    pytest.param(Cli(lambda d, u: ["add", put(d, "two-hashes.ttl", SEEDS["ttl"].replace(
        b"new:nscc-companies-2024 a", b"<https://example.org/count#a#b> a")), "-s", "Fuzz"],
        refused=True), id="add-iri-with-two-fragments"),
    pytest.param(Cli(lambda d, u: ["add", GOOD, "-s", "<urn:x[1]>"], refused=True),
                 id="add-source-iri-with-brackets"),
    # import KIND FILE.csv -s SOURCE
    pytest.param(Cli(lambda d, u: ["import", "member-counts",
                                   put(d, "a.csv", csv_case("member-counts", 4)), "-s", "Fuzz"],
                     writes=True), id="import-member-counts-seed-4"),
    pytest.param(Cli(lambda d, u: ["import", "organisations", put(
        d, "c.csv", "name,kind\n\"=cmd|' /C calc'!A0\",company\n+SUM(1),other\n"), "-s", "Fuzz"],
        writes=True), id="import-formula-injection"),
    pytest.param(Cli(lambda d, u: ["import", "member-counts", put(d, "bom.csv", BOM), "-s",
                                   "Fuzz"], writes=True, refused=True), id="import-bom-only"),
    # query NAME|FILE.rq: read-only, fetches nothing unless --federated
    pytest.param(Cli(rq(lambda u: disguised_service(1, u)), refused=True),
                 id="query-disguised-service-seed-1"),
    pytest.param(Cli(rq(lambda u: disguised_service(8, u)), refused=True),
                 id="query-disguised-service-seed-8"),
    pytest.param(Cli(rq(lambda u: f"SELECT * FROM <{u}/g> WHERE {{ ?s ?p ?o }} LIMIT 1")),
                 id="query-from-listener"),
    pytest.param(Cli(rq(lambda u: f"SELECT * FROM <{u}/g> FROM NAMED <file:///etc/hostname> "
                        "WHERE { ?s ?p ?o } LIMIT 1"), store="memory"),
                 id="query-from-listener-and-file-memory-store"),
    pytest.param(Cli(rq(lambda u: f"LOAD <{u}/data.ttl>"), refused=True), id="query-load"),
    pytest.param(Cli(rq("DROP ALL ; INSERT DATA { <urn:a> <urn:b> <urn:c> }"), refused=True),
                 id="query-drop-and-insert"),
    pytest.param(Cli(rq("SELECT * WHERE " + "{" * 5000 + "}" * 5000), refused=True),
                 id="query-5000-nested-braces"),
    pytest.param(Cli(lambda d, u: ["query", put(d, "bad.rq", b"ASK { \xff\xfe }")],
                     refused=True), id="query-invalid-utf8"),
    pytest.param(Cli(rq("ASK { FILTER(" + "!" * 10000 + "true) }"), refused=True),
                 id="query-10000-negations"),  # Oxigraph's parser segfaulted on these
    pytest.param(Cli(rq("ASK { FILTER(true" + " && true" * 10000 + ") }"), refused=True),
                 id="query-10000-ands"),
    pytest.param(Cli(rq("ASK { {}" + " UNION {}" * 10000 + " }"), refused=True),
                 id="query-10000-unions"),
    pytest.param(Cli(rq("#+ tags: 5\nASK {}\n")), id="query-header-tags-integer"),
    # -p NAME=VALUE: bound as a term, never text
    pytest.param(Cli(rq(ECHO, "-f", "json", "-p", f"x={INJECTION}"),
                     check=echo_check(INJECTION)), id="param-injection"),
    pytest.param(Cli(rq(ECHO, "-p", "x=\udcff\udcfe"), refused=True), id="param-invalid-utf8"),
    pytest.param(Cli(lambda d, u: ["query", "hosts", "-p",
                                   f"host=<{u}> }} SERVICE <{u}> {{ ?s ?p ?o }} <{u}>"],
                     refused=True), id="param-iri-breaking-out"),
    # remove -s SOURCE
    pytest.param(Cli(lambda d, u: ["remove", "-s", "../../etc/passwd"], writes=True,
                     refused=True), id="remove-path-traversal"),
    pytest.param(Cli(lambda d, u: ["remove", "-s", "000_e55087a455a2a3a4"], writes=True,
                     refused=True), id="remove-original-without-force"),
]


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_survives_hostile_input(case: Cli, run: Runner, fuzz_home: Path, tmp_path: Path,
                                    listener: Listener) -> None:
    """One hostile input per run: the contract in the module docstring."""
    home = fuzz_home
    if case.writes:
        home = copy_seed_project(tmp_path / "writable")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    before = snapshot(home)
    store = ["--store", case.store] if case.store else []
    result = run(*store, *case.args(inputs, listener.url), home=home, env=cli_env(**ENV))
    assert_cli_contract(result, home=home, before=before, writes=case.writes)
    if case.refused:
        assert result.returncode == 2, (result.stdout[-2000:], result.stderr[-2000:])
    if case.check is not None:
        case.check(result)
    assert listener.requests == []


def test_cli_federated_service_reaches_the_listener(run: Runner, fuzz_home: Path,
                                                    tmp_path: Path, listener: Listener) -> None:
    """The positive control: with --federated the same SERVICE does connect, so the empty
    listener of every other case means nothing was fetched, not that nothing could be."""
    query = put(tmp_path, "fed.rq", f"SELECT * WHERE {{ SERVICE <{listener.url}/sparql> "
                                    "{ ?s ?p ?o } }")
    before = snapshot(fuzz_home)
    refused = run("query", query, home=fuzz_home, env=cli_env(**ENV))
    assert refused.returncode == 2 and "--federated" in refused.stderr, refused.stderr
    assert listener.requests == []
    result = run("query", query, "--federated", home=fuzz_home, env=cli_env(**ENV))
    assert_cli_contract(result, home=fuzz_home, before=before, writes=False)
    assert len(listener.requests) == 1, listener.requests
    assert listener.requests[0].startswith((b"GET /sparql", b"POST /sparql"))


# --- serve -----------------------------------------------------------------------------------


@dataclass
class Served:
    """A running `clusterkg serve` on the fuzz project."""

    port: int
    home: Path
    before: dict[str, str]
    log: Path
    process: subprocess.Popen[str]


@pytest.fixture(scope="module")
def served(fuzz_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`clusterkg serve --port 0 --timeout 2` on the fuzz project; stderr goes to a file, so
    a chatty server never blocks on a full pipe, and the file is checked for tracebacks."""
    log = tmp_path_factory.mktemp("serve") / "stderr.txt"
    before = snapshot(fuzz_home)
    server = start_serve(fuzz_home, "--timeout", "2", log=log)
    try:
        yield Served(port=server.port, home=fuzz_home, before=before, log=log,
                     process=server.process)
    finally:
        stop_serve(server)


def http(port: int, request: bytes, *,
         timeout: float = 10.0) -> tuple[int | None, str, bytes]:
    """Send raw bytes, read to EOF: the status (None if the server sent no status line), the
    header block and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # the server answered and closed before the end
            sock.sendall(request)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    head, _, body = data.partition(b"\r\n\r\n")
    return (int(match.group(1)) if match else None), head.decode("latin-1"), body


def request(method: str, target: str, body: bytes = b"",
            headers: dict[str, str] | None = None) -> bytes:
    head = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


@dataclass(frozen=True)
class Mark:
    """Where a serve test began: listener connections so far, bytes of the server's log."""

    requests: int
    log: int


def mark(served: Served, listener: Listener) -> Mark:
    return Mark(len(listener.requests), served.log.stat().st_size)


def new_log(served: Served, since: Mark) -> str:
    with served.log.open("rb") as stream:
        stream.seek(since.log)
        return stream.read().decode("utf-8", "replace")


def assert_served_well(served: Served, listener: Listener, since: Mark, *,
                       log: bool = True) -> None:
    """After the hostile requests: ASK {} within a second, graph/ intact, nothing fetched,
    no traceback logged since ``since``, still running."""
    start = time.monotonic()
    status, _, body = http(served.port, request("GET", "/sparql?query=" + urllib.parse.quote(
        "ASK {}")), timeout=1.0)
    elapsed = time.monotonic() - start
    assert status == 200 and b"true" in body, (status, body[:200])
    assert elapsed < 1.0, f"ASK {{}} took {elapsed:.2f} s"
    assert served.process.poll() is None
    assert snapshot(served.home) == served.before
    assert len(listener.requests) == since.requests, listener.requests[since.requests:]
    if log:
        logged = new_log(served, since)
        assert "Traceback" not in logged, logged[-3000:]


def test_serve_refuses_every_disguised_service(served: Served,
                                               fuzz_listener: Listener) -> None:
    """Disguised SERVICE calls, sent every way the protocol allows: 400, and no fetch."""
    since = mark(served, fuzz_listener)
    wrong = []
    for seed in range(120):
        text = disguised_service(seed, fuzz_listener.url)
        way = seed % 3
        if way == 0:
            sent = request("GET", "/sparql?query=" + urllib.parse.quote(text))
        elif way == 1:
            sent = request("POST", "/sparql", form(query=text),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        else:
            sent = request("POST", "/sparql", text.encode(),
                           {"Content-Type": "application/sparql-query"})
        status, _, body = http(served.port, sent)
        if status != 400:
            wrong.append(f"seed {seed}: {status} {body[:120]!r}")
    assert not wrong, "\n".join(wrong)
    assert_served_well(served, fuzz_listener, since)


ACCEPTS = ("", "*/*", "text/csv", "application/sparql-results+json;q=0.1, text/turtle",
           "garbage/;;q=x", "*/*;q=nan", "text/csv;q=1e999", "text/html;q=0", ";;;", ",",
           "application/ld+json", "text/" + "x" * 5000, "*/*;q=-1", "\x7f")
CONTENT_TYPES = ("application/x-www-form-urlencoded", "application/sparql-query",
                 "application/sparql-update", "text/plain", "multipart/form-data; boundary=x",
                 "application/x-www-form-urlencoded; charset=latin1", "", ";", "\x7f",
                 "APPLICATION/SPARQL-QUERY")
PATHS = ("/sparql", "/sparql", "/sparql", "/update", "/ontology", "/ontology.ttl",
         "/ontology.xyz", "/", "/../../etc/passwd", "//sparql", "/sparql/", "/SPARQL",
         "/%2e%2e/etc/passwd", "/ontology.html", "/nope", "/ontology.%00", "/" + "a" * 8000)
PERCENT_JUNK = ("%", "%zz", "%ff%fe", "%00", "%C3", "%ED%A0%80", "+", "%2B", "&&", "=", "&query=")


def random_request(seed: int, url: str) -> bytes:
    """One HTTP request with a random method, path, parameters, headers and body."""
    rng = random.Random(f"http-{seed}")
    text = rng.choice((soup(seed, url), disguised_service(seed, url), "ASK {}",
                       "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o } "
                       "LIMIT 2", "DESCRIBE <https://w3id.org/clusterkg/id/nscc>",
                       f"INSERT DATA {{ <{url}> <urn:p> 1 }}", "SELECT * {" * 600,
                       shaped_query(seed, url)))  # engine crashes: one, in the test after
    quoted = urllib.parse.quote(text, safe="")
    params = rng.sample([f"query={quoted}", f"query={quoted}", f"query={rng.choice(PERCENT_JUNK)}",
                         f"default-graph-uri={urllib.parse.quote(url)}", "named-graph-uri=junk",
                         "format=" + rng.choice(("csv", "xml", "json-ld", "junk", "%FF")),
                         "output=tsv", "update=DROP%20ALL", rng.choice(PERCENT_JUNK)],
                        k=rng.randint(0, 3))
    path = ("/sparql" if rng.random() < 0.7 else rng.choice(PATHS)) + (
        "?" + "&".join(params) if params else "")
    method = rng.choices(("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
                          "FOO"), weights=(40, 45, 3, 3, 2, 2, 2, 1, 2))[0]
    headers = {"Accept": rng.choice(ACCEPTS)}
    body = b""
    if method != "GET":
        headers["Content-Type"] = rng.choice((*CONTENT_TYPES, *CONTENT_TYPES[:2] * 4))
        body = rng.choice((form(query=text), text.encode(), b"query=" + rng.randbytes(50),
                           rng.randbytes(rng.randint(0, 500)), b"query=%ff%fe",
                           form(query=text, update="DROP ALL"), b""))
    return request(method, path, body, headers)


def test_serve_answers_random_requests_with_2xx_or_4xx(served: Served,
                                                       fuzz_listener: Listener) -> None:
    """Random methods, paths, parameters, media types and bodies, one by one. The one 3xx
    allowed is Starlette's redirect of a trailing slash, to this same server."""
    since = mark(served, fuzz_listener)
    wrong, seen = [], set()
    for seed in range(300):
        status, head, body = http(served.port, random_request(seed, fuzz_listener.url))
        seen.add(status)
        if status in (307, 308) and re.search(r"(?im)^location: http://127\.0\.0\.1[:/]", head):
            continue
        if status is None or not (200 <= status < 300 or 400 <= status < 500):
            wrong.append(f"seed {seed}: {status} {body[:160]!r}")
    assert not wrong, "\n".join(wrong)
    assert {200, 400, 403, 404, 405, 406, 415} <= seen, seen  # the corpus reaches every answer
    assert_served_well(served, fuzz_listener, since)


@pytest.mark.parametrize("how", ["declared", "chunked"])
def test_serve_refuses_a_5mb_body_without_reading_it(served: Served, fuzz_listener: Listener,
                                                     how: str) -> None:
    """413, before the body is read: a declared length at once, chunks once past the limit."""
    since = mark(served, fuzz_listener)
    size = 5 * 1024 * 1024
    head = ["POST /sparql HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
            "Content-Type: application/sparql-query"]
    start = time.monotonic()
    if how == "declared":  # headers and 64 KB sent; the other 5 MB never are
        sent = ("\r\n".join([*head, f"Content-Length: {size}"]) + "\r\n\r\n").encode()
        status, _, body = http(served.port, sent + b"#" * 65536)
    else:
        chunk = b"#" * 65536
        chunks = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * (size // len(chunk))
        sent = ("\r\n".join([*head, "Transfer-Encoding: chunked"]) + "\r\n\r\n").encode()
        status, _, body = http(served.port, sent + chunks + b"0\r\n\r\n")
    assert status == 413, (status, body[:200])
    assert time.monotonic() - start < 5
    assert_served_well(served, fuzz_listener, since)


@pytest.mark.parametrize(("query", "says"), [
    pytest.param("SELECT * WHERE " + "{" * 5000 + "}" * 5000, "nest", id="5000-nested-braces"),
    pytest.param("ASK { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }", "nest",
                 id="5000-nested-parens"),
    pytest.param("ASK { FILTER(" + "!" * 10000 + "true) }", "nest", id="engine-crash"),
])
def test_serve_survives_queries_that_nest_or_crash_the_engine(
    served: Served, fuzz_listener: Listener, query: str, says: str
) -> None:
    """400 with the reason; a crash takes one worker down, never the endpoint (the other
    worker answers while it restarts: one crash per test, or ASK would wait for a restart)."""
    since = mark(served, fuzz_listener)
    status, _, body = http(served.port, request("POST", "/sparql", query.encode(), {
        "Content-Type": "application/sparql-query"}))
    assert status == 400 and says.encode() in body, (status, body[:200])
    assert_served_well(served, fuzz_listener, since)


# Last in the module: a client that leaves mid-body once made the server log a traceback
# (ClientDisconnect from serve.read_body), which must not land in another test's log window.


def leave_mid_body(served: Served) -> None:
    """Declare 1000 bytes, send 6, close."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/sparql-query\r\nContent-Length: 1000\r\n\r\nASK {}")
        time.sleep(0.05)


def test_serve_survives_a_body_shorter_than_declared(served: Served,
                                                     fuzz_listener: Listener) -> None:
    """Clients that declare 1000 bytes, send 6 and go away tie up nothing."""
    since = mark(served, fuzz_listener)
    for _ in range(5):
        leave_mid_body(served)
    assert_served_well(served, fuzz_listener, since, log=False)


def test_serve_logs_no_traceback_when_a_client_leaves_mid_body(
    served: Served, fuzz_listener: Listener
) -> None:
    """A client going away is routine for a server, not an error with a traceback."""
    time.sleep(0.5)  # what the test before left behind is logged by now
    since = mark(served, fuzz_listener)
    leave_mid_body(served)
    assert_served_well(served, fuzz_listener, since, log=False)
    time.sleep(0.5)
    logged = new_log(served, since)
    assert "Traceback" not in logged, logged[-3000:]
