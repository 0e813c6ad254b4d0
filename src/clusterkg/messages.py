"""The lines commands print about validation and intake, in English and Norwegian (--lang).

Messages from the shapes come in both languages from shapes/; this module holds the words the
commands add around them (report labels, the summary line, what add and import did), so that
every line a command prints follows ``--lang``.
"""

from __future__ import annotations

LANGS = ("en", "nb")

_TEXT: dict[str, dict[str, str]] = {
    "Violation": {"en": "Violation", "nb": "Brudd"},
    "Warning": {"en": "Warning", "nb": "Advarsel"},
    "Info": {"en": "Info", "nb": "Info"},
    "path": {"en": "path", "nb": "sti"},
    "value": {"en": "value", "nb": "verdi"},
    "message": {"en": "message", "nb": "melding"},
    "shape": {"en": "shape", "nb": "form"},
    "constraint": {"en": "constraint", "nb": "regel"},
    "source": {"en": "source", "nb": "kilde"},
    "summary": {"en": "SHACL validation: {verdict} ({parts})",
                "nb": "SHACL-validering: {verdict} ({parts})"},
    "conforms": {"en": "conforms", "nb": "i samsvar"},
    "not conforms": {"en": "does NOT conform", "nb": "IKKE i samsvar"},
    "not added": {"en": "not added: {problems} in {what}; nothing in graph/ changed",
                  "nb": "ikke lagt til: {problems} i {what}; ingenting i graph/ er endret"},
    "use skip": {"en": " (use --skip-duplicates to add the rest)",
                 "nb": " (bruk --skip-duplicates for å legge til resten)"},
    "nothing new": {
        "en": "nothing new to add from {what}: every triple is already in the graph",
        "nb": "ingenting nytt å legge til fra {what}: hvert trippel finnes allerede i grafen"},
    "skipped": {"en": "skipped {what}", "nb": "hoppet over {what}"},
    "dry run": {
        "en": "dry run: would write {triples} triples ({facts}) to {path} as <{graph}>; "
              "nothing written",
        "nb": "prøvekjøring: ville skrevet {triples} tripler ({facts}) til {path} som "
              "<{graph}>; ingenting skrevet"},
    "added": {
        "en": "Added {triples} triples ({facts}) from {what} to {path} as <{graph}>, derived "
              "from {source}.",
        "nb": "La til {triples} tripler ({facts}) fra {what} i {path} som <{graph}>, hentet "
              "fra {source}."},
    "replaces": {"en": "It replaces <{graph}>, which stays in graph/ marked as replaced.",
                 "nb": "Den erstatter <{graph}>, som blir liggende i graph/ merket som erstattet."},
    "problems": {"en": "problems", "nb": "problemer"},
}

# (singular, plural) per language
_NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "violation": {"en": ("violation", "violations"), "nb": ("brudd", "brudd")},
    "warning": {"en": ("warning", "warnings"), "nb": ("advarsel", "advarsler")},
    "info": {"en": ("info", "infos"), "nb": ("info", "info")},
    "fact": {"en": ("fact", "facts"), "nb": ("faktum", "fakta")},
    "duplicate fact": {"en": ("duplicate fact", "duplicate facts"),
                       "nb": ("duplisert faktum", "dupliserte fakta")},
}


def text(key: str, lang: str = "en", **values: object) -> str:
    """The message ``key`` in ``lang`` (English when there is no translation)."""
    templates = _TEXT[key]
    return templates.get(lang, templates["en"]).format(**values)


def count(n: int, noun: str, lang: str = "en") -> str:
    """``n`` and the noun in singular or plural: "1 violation", "3 brudd"."""
    forms = _NOUNS[noun]
    singular, plural = forms.get(lang, forms["en"])
    return f"{n} {singular if n == 1 else plural}"


def joined(parts: list[str], lang: str = "en") -> str:
    """Parts joined with "and" / "og"."""
    return (" og " if lang == "nb" else " and ").join(parts)
