"""Workbench page: check new facts, as ``clusterkg validate FILE`` does, and add nothing.

Paste Turtle (or TriG, JSON-LD, N-Triples) or upload a file, or upload a filled-in CSV
template with its kind (as ``clusterkg import --dry-run`` reads it), optionally naming the
source as ``--source`` does. A query worker checks the facts with the graph (clusterkg.delta:
the same reading, IRI checks, neighbourhood validation and duplicate search as the command)
and the page shows the report in the page's language, with links to the focus nodes and the
cited lines of the text. The input is written only to a temporary folder, which is removed;
nothing goes into the graph or the project. The body is limited like the endpoint's.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusterkg.errors import ClusterKGError
from clusterkg.serve import MAX_BODY, HTTPProblem, read_body
from clusterkg.workbench.render import language, render

if TYPE_CHECKING:
    from starlette.datastructures import FormData
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from clusterkg.validate import Finding
    from clusterkg.workbench.site import Site

#: The RDF syntaxes offered, with the file name a pasted text is checked under.
SYNTAXES = {"turtle": ("Turtle", "pasted.ttl"), "trig": ("TriG", "pasted.trig"),
            "json-ld": ("JSON-LD", "pasted.jsonld"), "nt": ("N-Triples", "pasted.nt"),
            "nquads": ("N-Quads", "pasted.nq")}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_CITED = re.compile(r", (line|row) (\d+)$")


def routes(site: Site) -> list[BaseRoute]:
    from starlette.routing import Route

    async def page(request: Request) -> Response:
        context = form_context()
        if request.method == "GET":
            return render(request, "check.html", context)
        lang = language(request)
        try:
            form = await read_form(request, lang)
            data, name, fmt, kind, source = submitted(form, lang)
            context.update(text=_text(form.get("text")), format=fmt or "turtle",
                           kind=kind or "", source=source or "")
            outcome = await site.run(request, check_facts, str(site.root) if site.root else
                                     None, data, name, fmt, kind, source, lang)
        except HTTPProblem as exc:
            context["problem"] = exc.message
            return render(request, "check.html", context, exc.status)
        if outcome[0] != "ok":
            context["problem"] = outcome[1]
            context["row_problems"] = outcome[2]
            return render(request, "check.html", context, 400)
        _, conforms, findings, summary, count = outcome
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()
        context["report"] = {"conforms": conforms, "summary": summary, "triples": count,
                             "name": name, "findings": [shown(f, text, name, lang)
                                                        for f in findings]}
        return render(request, "check.html", context)

    return [Route("/check", page, methods=["GET", "POST"])]


def form_context() -> dict[str, Any]:
    from clusterkg.spreadsheet import KINDS

    return {"syntaxes": SYNTAXES, "kinds": KINDS, "text": "", "format": "turtle", "kind": "",
            "source": "", "problem": None, "row_problems": [], "report": None,
            "limit_mb": MAX_BODY // 1_000_000}


async def read_form(request: Request, lang: str) -> FormData:
    """The posted form (urlencoded or multipart), refused past MAX_BODY bytes (413)."""
    from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

    too_big = HTTPProblem(413, (
        f"For stort: høyst {MAX_BODY // 1_000_000} MB kan sjekkes her; bruk `clusterkg "
        "validate FIL` for større filer" if lang == "nb" else
        f"Too large: at most {MAX_BODY // 1_000_000} MB can be checked here; use `clusterkg "
        "validate FILE` for larger files"))
    try:
        body = await read_body(request)
    except HTTPProblem as exc:
        raise too_big if exc.status == 413 else exc from None

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body
        yield b""

    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    try:
        if content_type == "multipart/form-data":
            return await MultiPartParser(request.headers, stream(), max_files=1, max_fields=10,
                                         max_part_size=MAX_BODY).parse()
        if content_type == "application/x-www-form-urlencoded":
            return await FormParser(request.headers, stream(), max_fields=10,
                                    max_part_size=MAX_BODY).parse()
    except MultiPartException as exc:
        raise HTTPProblem(400, exc.message) from None
    raise HTTPProblem(415, "post the form (multipart/form-data or urlencoded)")


def submitted(form: FormData, lang: str) -> tuple[bytes, str, str | None, str | None,
                                                  str | None]:
    """What to check: the bytes, the file name they are checked under, the RDF syntax (None:
    by the file's extension), the CSV template kind and the source."""
    from starlette.datastructures import UploadFile

    from clusterkg.delta import EXTENSIONS
    from clusterkg.spreadsheet import KINDS

    def nb_en(nb: str, en: str) -> str:
        return nb if lang == "nb" else en

    fmt = _text(form.get("format")) or "turtle"
    if fmt not in SYNTAXES:
        raise HTTPProblem(400, nb_en(f"ukjent syntaks «{fmt}»", f"unknown syntax '{fmt}'"))
    kind = _text(form.get("kind")) or None
    if kind is not None and kind not in KINDS:
        raise HTTPProblem(400, nb_en(f"ukjent maltype «{kind}»", f"unknown template kind "
                                     f"'{kind}'"))
    source = _text(form.get("source")).strip() or None
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = upload.file.read()
        name = _SAFE_NAME.sub("_", Path(upload.filename).name).strip("._") or "upload"
        if kind is None and name.lower().endswith(".csv"):
            raise HTTPProblem(400, nb_en(
                "En CSV-fil er en utfylt mal: velg hvilken type mal den er",
                "A CSV file is a filled-in template: choose which kind of template it is"))
        known = Path(name).suffix.lower() in EXTENSIONS
        fmt_used = None if kind is None and known else fmt
        if kind is not None and not name.lower().endswith(".csv"):
            name += ".csv"
    else:
        text = _text(form.get("text"))
        if not text.strip():
            raise HTTPProblem(400, nb_en("Lim inn fakta eller last opp en fil",
                                         "Paste facts or upload a file"))
        if kind is not None:
            raise HTTPProblem(400, nb_en("En mal (CSV) må lastes opp som fil",
                                         "A template (CSV) must be uploaded as a file"))
        data, name, fmt_used = text.encode("utf-8"), SYNTAXES[fmt][1], fmt
    if kind is not None and source is None:
        raise HTTPProblem(400, nb_en(
            "En mal trenger kilden faktaene kommer fra (som `clusterkg import --source`)",
            "A template needs the source its facts come from (as `clusterkg import --source`)"))
    return data, name, fmt_used, kind, source


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def shown(finding: Finding, text: list[str], name: str, lang: str) -> dict[str, Any]:
    """A finding as the report shows it, with the cited line of the checked text."""
    from clusterkg.messages import text as words
    from clusterkg.validate import compact_iris, where

    cited = None
    match = _CITED.search(finding.origin or "")
    if match and (finding.origin or "").startswith(name + ","):
        number = int(match.group(2))
        if 0 < number <= len(text):
            cited = (number, text[number - 1])
    focus = finding.focus_node
    return {
        "severity": finding.severity, "severity_text": words(finding.severity, lang),
        "focus": finding.focus_node_compact, "label": finding.focus_label,
        "focus_iri": focus if re.match(r"^(https?|urn):", focus)
        and "/.well-known/genid/" not in focus else None,
        "rows": [(words(key, lang), value) for key, value in (
            ("path", finding.result_path_compact), ("value", finding.value_compact),
            ("shape", finding.source_shape_compact),
            ("constraint", finding.source_constraint_component_compact),
            ("source", where(finding.origin, lang))) if value],
        "message": compact_iris(finding.message), "message_label": words("message", lang),
        "cited": cited,
    }


# --- in a query worker ------------------------------------------------------------------------


def check_facts(root: str | None, data: bytes, name: str, fmt: str | None, kind: str | None,
                source: str | None, lang: str) -> tuple[Any, ...]:
    """In a worker: `clusterkg validate NAME [--source S] --lang L` on ``data`` (or, for a
    template ``kind``, what `clusterkg import KIND NAME --source S --dry-run` checks).

    ("ok", conforms, findings, summary, triples), or ("problem", message, row problems).
    The data is written to a temporary folder only, as the readers take files.
    """
    from clusterkg.delta import Locator, Schema, as_report, check, read_files, skolemise
    from clusterkg.paths import find_home
    from clusterkg.querypool import worker_dataset
    from clusterkg.sources import plan, provenance, with_source_documents
    from clusterkg.spreadsheet import RowErrors, import_files, kind_or_error, read_rows
    from clusterkg.validate import summary

    dataset = worker_dataset()
    with tempfile.TemporaryDirectory(prefix="clusterkg-check-") as folder:
        path = Path(folder) / name

        def plain(message: str) -> str:
            return message.replace(path.as_uri(), name).replace(str(path), name)

        path.write_bytes(data)
        try:
            schema = Schema(dataset)
            target = plan(find_home(root), dataset, source) if source else None
            if kind is not None:
                if target is None:
                    return ("problem", "a template needs --source", [])
                spec = kind_or_error(kind)
                imported = import_files(dataset, [(spec, path, read_rows(path, spec))],
                                        graph_slug=target.slug, document=target.document)
                delta, locator = imported.graph, Locator(rows=imported.rows)
                delta = with_source_documents(delta, target.document, schema.sourced_classes)
                delta += provenance(target, command="clusterkg serve (/check)")
            else:
                delta, locator = read_files([path], fmt, None)
                if target is not None:
                    delta = with_source_documents(delta, target.document,
                                                  schema.sourced_classes)
                    delta += target.document_triples
            result = check(dataset, skolemise(delta, locator), locator=locator, lang=lang,
                           schema=schema)
        except RowErrors as bad:
            return ("problem", "", [plain(str(e)) for e in bad.errors])
        except ClusterKGError as exc:
            return ("problem", plain(exc.message), [])
    report = as_report(result, lang)
    findings = [dataclasses.replace(f, origin=plain(f.origin) if f.origin else None)
                for f in report.findings]
    return ("ok", report.conforms, findings, summary(report, lang), len(delta))
