"""Queries cannot make clusterkg fetch, crash, or stall the endpoint (issue #12, items 1-3, 10).

Each test reproduces an attack that worked before: hidden SERVICE calls reached a listener on
127.0.0.1, 5000 nested braces segfaulted the process, and one cross product held the store
lock so that every other request (and SIGTERM) waited for it.
"""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import (
    Listener,
    Runner,
    Server,
    assert_one_line_error,
    copy_seed_project,
    start_serve,
    stop_serve,
)

CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "ASK { ?s ?p ?o }"
DEEP = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000


def hidden_services(url: str) -> dict[str, str]:
    """SERVICE calls to ``url`` that a keyword search over the text did not see (or did)."""
    return {
        # \u0041 is "A": the old check expanded nothing and read "#>..." as a comment
        "escape-then-hash": "SELECT * WHERE { ?s <http://example.org/\\u0041#> ?o . "
                            f"SERVICE <{url}/sparql> {{ ?a ?b ?c }} }}",
        # "<?r)SERVICE?x#>" looks like an IRI to a lexer; it is a comparison and a SERVICE
        "lt-as-iri": "SELECT * WHERE { ?s ?p ?o FILTER(?q<?r)SERVICE?x#>\n"
                     f"{{ ?a ?b ?c }} VALUES ?x {{ <{url}/sparql> }} }}",
        "escaped-keyword": f"SELECT * WHERE {{ \\u0053ERVICE <{url}/sparql> {{ ?a ?b ?c }} }}",
        "silent-in-optional": f"SELECT * WHERE {{ OPTIONAL {{ SERVICE SILENT <{url}/x> "
                              "{ ?a ?b ?c } } }",
        "plain": f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?a ?b ?c }} }}",
    }


@pytest.fixture(scope="module")
def seed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_seed_project(tmp_path_factory.mktemp("safety") / "home")


@pytest.fixture(scope="module")
def server(seed_project: Path) -> Iterator[Server]:
    running = start_serve(seed_project, "--timeout", "3", "--workers", "2")
    try:
        yield running
    finally:
        stop_serve(running)


def ask(base: str, query: str, path: str = "/sparql", timeout: float = 60,
        ) -> tuple[int, dict[str, str], str]:
    """Status, headers (lower-case names) and body; status 0 if the connection broke."""
    data = urllib.parse.urlencode({"query": query}).encode()
    accept = "text/csv" if path == "/sparql" else "text/turtle"
    request = urllib.request.Request(base + path, data=data if path == "/sparql" else None,
                                     headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            headers, status, body = response.headers, response.status, response.read()
    except urllib.error.HTTPError as exc:
        headers, status, body = exc.headers, exc.code, exc.read()
    except (OSError, http.client.HTTPException) as exc:  # e.g. the server was stopped
        return 0, {}, str(exc)
    return status, {k.lower(): v for k, v in headers.items()}, body.decode()


def timed(base: str, query: str, path: str = "/sparql") -> tuple[int, float]:
    started = time.monotonic()
    status, _, _ = ask(base, query, path)
    return status, time.monotonic() - started


# --- 1: the endpoint sends no request ------------------------------------------------------


def test_endpoint_refuses_every_hidden_service(server: Server, listener: Listener) -> None:
    for case, query in hidden_services(listener.url).items():
        status, _, body = ask(server.base, query)
        assert status == 400, (case, status, body)
        assert "SERVICE" in body, (case, body)
    assert listener.requests == []


def test_endpoint_from_loads_nothing(server: Server, listener: Listener) -> None:
    for query in (f"SELECT * FROM <{listener.url}/data.ttl> WHERE {{ ?s ?p ?o }}",
                  f"SELECT * FROM NAMED <{listener.url}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"):
        status, _, body = ask(server.base, query)
        assert status == 200 and len(body.strip().splitlines()) == 1, body  # header, no rows
    assert listener.requests == []


def test_words_that_only_look_like_service_still_run(server: Server) -> None:
    # the check parses the query: "service" in a string, an IRI or a comment is no call
    query = ('PREFIX svc: <https://example.org/service#>\n# SERVICE <http://x/> in a comment\n'
             'SELECT ?n WHERE { BIND("customer service" AS ?n) }')
    status, _, body = ask(server.base, query)
    assert status == 200 and "customer service" in body, body


# --- 2: deep nesting is refused, not a crash ------------------------------------------------


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_deeply_nested_query_file_is_one_line(run: Runner, tmp_path: Path,
                                               seed_project: Path, store: str) -> None:
    deep = tmp_path / "deep.rq"
    deep.write_text(DEEP, encoding="utf-8")
    result = run("--store", store, "query", str(deep), home=seed_project)
    assert_one_line_error(result, "deep.rq", "nest")


def test_deeply_nested_post_is_400_and_the_server_lives(server: Server) -> None:
    for query in (DEEP, "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"):
        status, _, body = ask(server.base, query)
        assert status == 400 and "nest" in body, (status, body[:200])
    status, _, body = ask(server.base, CHEAP)
    assert status == 200 and "true" in body
    assert server.process.poll() is None


# --- 3: one expensive query stalls nobody --------------------------------------------------


def test_cheap_queries_answer_while_an_expensive_one_runs(server: Server) -> None:
    outcome: dict[str, tuple[int, dict[str, str], str]] = {}
    started = time.monotonic()
    worker = threading.Thread(target=lambda: outcome.update(cross=ask(server.base, CROSS)))
    worker.start()
    time.sleep(0.5)  # the cross product is running in one worker by now
    for _ in range(3):
        status, seconds = timed(server.base, CHEAP)
        assert status == 200 and seconds < 1.0, (status, seconds)
    status, seconds = timed(server.base, "", path="/ontology")
    assert status == 200 and seconds < 1.0, (status, seconds)
    worker.join(timeout=60)
    status, _, body = outcome["cross"]
    assert status == 503 and "limit of 3 s" in body, (status, body)
    assert time.monotonic() - started < 10  # stopped at its limit, not run to the end
    status, seconds = timed(server.base, CHEAP)  # the stopped worker was replaced
    assert status == 200 and seconds < 5.0, (status, seconds)


def test_a_huge_body_is_refused_unread(server: Server) -> None:
    body = b"query=" + b"x" * 5_000_001
    request = urllib.request.Request(server.base + "/sparql", data=body)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (ConnectionResetError, BrokenPipeError, urllib.error.URLError):
        status = 413  # the server may answer and close before the client finishes sending
    assert status == 413
    assert ask(server.base, CHEAP)[0] == 200


def test_queries_beyond_the_backlog_are_told_busy_and_sigterm_stops_at_once(
    seed_project: Path,
) -> None:
    busy = start_serve(seed_project, "--timeout", "20", "--workers", "1")
    try:
        answers: list[tuple[int, dict[str, str], str]] = []
        threads = [threading.Thread(target=lambda: answers.append(ask(busy.base, CROSS)))
                   for _ in range(4)]  # one runs, two wait, the fourth is one too many
        for thread in threads:
            thread.start()
            time.sleep(0.2)
        deadline = time.monotonic() + 10
        while not answers and time.monotonic() < deadline:
            time.sleep(0.1)
        assert answers, "no answer: the fourth query should have been told busy at once"
        status, headers, body = answers[0]
        assert status == 503 and body.startswith("busy") and headers.get("retry-after") == "1"
        started = time.monotonic()
        busy.process.send_signal(signal.SIGTERM)
        code = busy.process.wait(timeout=30)
        assert time.monotonic() - started < 3.0, "SIGTERM waited for the running queries"
        assert code == 0
        assert "Traceback" not in busy.log.read_text()
    finally:
        if busy.process.poll() is None:
            busy.process.kill()


# --- 10: the command line fetches only when asked ------------------------------------------


def test_query_file_with_service_is_refused_unless_federated(
    run: Runner, tmp_path: Path, seed_project: Path, listener: Listener
) -> None:
    for case, text in hidden_services(listener.url).items():
        path = tmp_path / f"{case}.rq"
        path.write_text(text, encoding="utf-8")
        result = run("query", str(path), home=seed_project)
        assert_one_line_error(result, "SERVICE")
    assert listener.requests == []
    plain = tmp_path / "plain.rq"
    refused = run("query", str(plain), home=seed_project)
    assert "--federated" in refused.stderr
    asked = run("query", "--federated", str(plain), home=seed_project)
    assert asked.returncode in (0, 1), asked.stderr  # the listener answers with no rows
    assert listener.requests, "--federated should have called the SERVICE"
    assert listener.requests[0].split(b" ")[0] in (b"GET", b"POST"), listener.requests[0]


def test_from_reads_no_local_file_unless_federated(
    run: Runner, tmp_path: Path, seed_project: Path, listener: Listener
) -> None:
    secret = tmp_path / "secret.nt"
    secret.write_text('<http://example.org/a> <http://example.org/b> "secret-value" .\n',
                      encoding="utf-8")
    query = tmp_path / "from.rq"
    query.write_text(f"SELECT ?o FROM <{secret.as_uri()}> FROM <{listener.url}/x.ttl> "
                     "WHERE { ?s ?p ?o }", encoding="utf-8")
    for store in ("memory", "oxigraph"):
        result = run("--store", store, "query", str(query), "-f", "csv", home=seed_project)
        assert result.returncode == 1 and "secret-value" not in result.stdout, result.stdout
    assert listener.requests == []
    local = tmp_path / "local.rq"
    local.write_text(f"SELECT ?o FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}", encoding="utf-8")
    fetched = run("--store", "memory", "query", "--federated", str(local), "-f", "csv",
                  home=seed_project)
    assert fetched.returncode == 0 and "secret-value" in fetched.stdout, fetched.stderr


def test_a_servers_json_ld_answer_cannot_make_the_client_fetch(
    run: Runner, tmp_path: Path, seed_project: Path, listener: Listener
) -> None:
    # a CONSTRUCT answer in JSON-LD whose context is a reference: rdflib would fetch it
    answer = json.dumps({"@context": f"{listener.url}/context.jsonld",
                         "@id": "http://example.org/a", "http://example.org/b": "c"}).encode()
    graph = json.dumps({"head": {"vars": ["g"]}, "results": {"bindings": [
        {"g": {"type": "uri", "value": "https://w3id.org/clusterkg/graph/x"}}]}}).encode()
    server = Listener(graph, "application/sparql-results+json",
                      when={b"CONSTRUCT": (answer, "application/ld+json")})
    try:
        query = tmp_path / "construct.rq"
        query.write_text("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", encoding="utf-8")
        result = run("query", str(query), "--endpoint", f"{server.url}/sparql", "--retries", "0",
                     home=seed_project)
        assert_one_line_error(result, "JSON-LD context", "never fetches")
        assert server.requests, "the query should have reached the endpoint"
    finally:
        server.close()
    assert listener.requests == []
