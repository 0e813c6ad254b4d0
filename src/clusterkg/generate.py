"""A synthetic cluster ecosystem shaped like the real one, written as a clusterkg project.

``generate(home, out_dir, clusters=N, seed=S)`` writes ``out_dir`` as a project that
``clusterkg --home out_dir ...`` can validate and query: ontology/, shapes/ and queries/ are
copied from ``home``; graph/ holds one TriG file (one named graph) per synthetic source:

* ``gen-register``   a national register (a spreadsheet): places, the programme and its owners,
                     regional funders, focus areas, hosts, clusters and their organisations,
                     member organisations with valid organisation numbers, memberships (1-3
                     clusters per organisation, a few board seats), hostings, locations, and a
                     yearly time series of each cluster's total member count;
* ``gen-contacts``   a contact list: people and their posts (cluster leaders, managers of the
                     hosts, project leaders), shared projects and test centres;
* ``gen-report-Y``   the programme's yearly report: the announcement of year Y, admissions per
                     level, level assignments (Arena, then maybe Arena Pro, then maybe GCE, with
                     consecutive xsd:date periods that never overlap), grants, funding totals,
                     focus and strategy per period, and member counts per kind;
* ``gen-news-Y``     a yearly newsletter: some of that year's admissions retold, certificates
                     handed over by the minister, and member counts that mostly agree with the
                     report - a few are *planted* to disagree, so the ``conflicts`` query finds
                     them.

``out_dir/all.nq`` holds every quad of graph/ in one N-Quads file. Everything is drawn from
``random.Random(seed)`` in a fixed order and written without any clock or hash-order input, so
one seed always gives byte-identical files. Literals are escaped by pyoxigraph (``str()`` of a
``pyoxigraph.Literal``); the text is written directly, never through an rdflib Graph, so a
million triples take seconds.

No source document is a ``.txt`` file, so facts cite no ck:sourceLine (the shapes ask for lines
only from text documents).
"""

from __future__ import annotations

import math
import random
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from clusterkg.build import write_atomically
from clusterkg.errors import ClusterKGError
from clusterkg.orgnumber import mod11_check_digit
from clusterkg.paths import Home

# --- sizes -----------------------------------------------------------------------------------

#: --size name -> the number of triples (quads in graph/) to aim at.
SIZES: dict[str, int] = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
#: Measured quads per cluster (the mean over seeds), for the first guess of N for a size.
QUADS_PER_CLUSTER = 700
#: A size is hit when the count is within this share of the target; else N is corrected.
SIZE_TOLERANCE = 0.08
SIZE_ATTEMPTS = 10

FIRST_YEAR = 2014  # the first announcement year
LAST_YEAR = 2024  # the last announcement year; the register's counts run to LAST_YEAR-12-31
GENERATED_AT = "2025-01-15T12:00:00Z"  # fixed, so the output never depends on the clock
MARKER = ".clusterkg-generated"  # in out_dir: this directory may be overwritten by generate
COPIED_FOLDERS = ("ontology", "shapes", "queries")

# --- namespaces --------------------------------------------------------------------------------

XSD = "http://www.w3.org/2001/XMLSchema#"
GEN = "https://w3id.org/clusterkg/id/gen/"
NAMESPACES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "rov": "http://www.w3.org/ns/regorg#",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "schema": "https://schema.org/",
    "ck": "https://w3id.org/clusterkg/ontology#",
    "ckl": "https://w3id.org/clusterkg/level/",
    "kind": "https://w3id.org/clusterkg/member-kind/",
    "role": "https://w3id.org/clusterkg/role/",
    "where": "https://w3id.org/clusterkg/location-role/",
    "emph": "https://w3id.org/clusterkg/emphasis/",
    "okind": "https://w3id.org/clusterkg/org-kind/",
    "cks": "https://w3id.org/clusterkg/source/",
    "ckg": "https://w3id.org/clusterkg/graph/",
    "gen": GEN,
    "place": GEN + "place/",
    "focus": GEN + "focus/",
}
FACT_NS = GEN + "fact/"  # + <source stem>/ ; written with the prefix f: in that source's file
_SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")

# --- vocabulary of the synthetic world ---------------------------------------------------------

LEVELS = ("arena", "arena-pro", "gce")
LEVEL_LABEL = {"arena": "Arena", "arena-pro": "Arena Pro", "gce": "GCE"}
COUNTIES = (
    "Oslo", "Akershus", "Østfold", "Buskerud", "Vestfold", "Telemark", "Innlandet", "Agder",
    "Rogaland", "Vestland", "Møre og Romsdal", "Trøndelag", "Nordland", "Troms", "Finnmark",
)
TOWNS = (
    ("Oslo", "Oslo"), ("Lillestrøm", "Akershus"), ("Asker", "Akershus"), ("Ås", "Akershus"),
    ("Bærum", "Akershus"), ("Fredrikstad", "Østfold"), ("Sarpsborg", "Østfold"),
    ("Halden", "Østfold"), ("Moss", "Østfold"), ("Drammen", "Buskerud"),
    ("Kongsberg", "Buskerud"), ("Hønefoss", "Buskerud"), ("Tønsberg", "Vestfold"),
    ("Sandefjord", "Vestfold"), ("Larvik", "Vestfold"), ("Skien", "Telemark"),
    ("Porsgrunn", "Telemark"), ("Notodden", "Telemark"), ("Hamar", "Innlandet"),
    ("Lillehammer", "Innlandet"), ("Gjøvik", "Innlandet"), ("Raufoss", "Innlandet"),
    ("Elverum", "Innlandet"), ("Kristiansand", "Agder"), ("Arendal", "Agder"),
    ("Grimstad", "Agder"), ("Stavanger", "Rogaland"), ("Sandnes", "Rogaland"),
    ("Haugesund", "Rogaland"), ("Egersund", "Rogaland"), ("Bergen", "Vestland"),
    ("Førde", "Vestland"), ("Stord", "Vestland"), ("Florø", "Vestland"),
    ("Sogndal", "Vestland"), ("Ålesund", "Møre og Romsdal"), ("Molde", "Møre og Romsdal"),
    ("Kristiansund", "Møre og Romsdal"), ("Trondheim", "Trøndelag"),
    ("Steinkjer", "Trøndelag"), ("Levanger", "Trøndelag"), ("Namsos", "Trøndelag"),
    ("Orkanger", "Trøndelag"), ("Bodø", "Nordland"), ("Mo i Rana", "Nordland"),
    ("Narvik", "Nordland"), ("Mosjøen", "Nordland"), ("Tromsø", "Troms"),
    ("Harstad", "Troms"), ("Alta", "Finnmark"), ("Hammerfest", "Finnmark"),
    ("Kirkenes", "Finnmark"), ("Vadsø", "Finnmark"),
)
# slug, Norwegian label, English label, broader slug, the Norwegian word in cluster names
FOCUS_AREAS = (
    ("aquaculture", "havbruk", "aquaculture", None, "havbruks"),
    ("seafood", "sjømat", "seafood", None, "sjømat"),
    ("maritime", "maritim næring", "maritime industry", None, "maritim"),
    ("subsea", "subsea", "subsea", "maritime", "subsea"),
    ("renewable-energy", "fornybar energi", "renewable energy", None, "energi"),
    ("offshore-wind", "havvind", "offshore wind", "renewable-energy", "havvind"),
    ("hydrogen", "hydrogen", "hydrogen", "renewable-energy", "hydrogen"),
    ("batteries", "batterier", "batteries", "renewable-energy", "batteri"),
    ("health-industry", "helseindustri", "health industry", None, "helse"),
    ("welfare-technology", "velferdsteknologi", "welfare technology", "health-industry",
     "velferdsteknologi"),
    ("digitalisation", "digitalisering", "digitalisation", None, "digital"),
    ("artificial-intelligence", "kunstig intelligens", "artificial intelligence",
     "digitalisation", "KI-"),
    ("cyber-security", "digital sikkerhet", "cyber security", "digitalisation", "sikkerhets"),
    ("tourism", "reiseliv", "tourism", None, "reiselivs"),
    ("food", "mat og drikke", "food and drink", None, "mat"),
    ("agriculture", "landbruk", "agriculture", "food", "landbruks"),
    ("wood", "skog og tre", "forestry and wood", None, "tre"),
    ("construction", "bygg og anlegg", "construction", None, "bygg"),
    ("process-industry", "prosessindustri", "process industry", None, "prosess"),
    ("advanced-materials", "avanserte materialer", "advanced materials", "process-industry",
     "material"),
    ("space", "romfart", "space", None, "romfarts"),
    ("defence", "forsvar", "defence", None, "forsvars"),
    ("logistics", "logistikk", "logistics", None, "logistikk"),
    ("creative-industries", "kreative næringer", "creative industries", None, "kultur"),
    ("circular-economy", "sirkulær økonomi", "circular economy", None, "sirkulær"),
    ("minerals", "mineraler", "minerals", None, "mineral"),
    ("smart-cities", "smarte byer", "smart cities", "digitalisation", "smartby"),
    ("industry-building", "industribygging", "industry building", None, "industri"),
)
NAME_HEADS = (
    "Fjord", "Nord", "Sør", "Øst", "Vest", "Berg", "Dal", "Lund", "Vik", "Holm", "Strand",
    "Hav", "Skog", "Fjell", "Elv", "Bakke", "Sand", "Li", "Nes", "Stein", "Kvit", "Rød", "Bjørk",
    "Ask", "Sol", "Storm", "Sjø", "Brå", "Rø", "Tå", "Kløv", "Grønn", "Lyng", "Mjøs", "Gran",
    "Furu", "Hage", "Ås", "Engel", "Ulv",
)
NAME_TAILS = (
    "vik", "dal", "heim", "stad", "nes", "berg", "land", "å", "øy", "mo", "li", "bø", "rud",
    "set", "haug", "fjord", "sund", "våg", "bekk", "vang", "voll", "myr", "kjær", "tun",
)
TRADES = (
    "Havbruk", "Teknologi", "Energi", "Marin", "Data", "Bygg", "Helse", "Mekaniske", "Elektro",
    "Solkraft", "Robotikk", "Analyse", "Logistikk", "Design", "Næringsmidler", "Sjømat",
    "Maskin", "Automasjon", "Konsult", "Treindustri", "Verft", "Sensor", "Programvare",
    "Reiseliv", "Miljø", "Hydrogen", "Batteri", "Kjøling", "Medisinsk", "Smart Systems",
)
FIRST_NAMES = (
    "Åse", "Bjørn", "Sølvi", "Kjærsti", "Øystein", "Håkon", "Tor", "Ingrid", "Marit", "Arild",
    "Anne", "Kari", "Ola", "Siri", "Trond", "Eirik", "Hege", "Jørgen", "Mette", "Ståle",
    "Tone", "Gunnar", "Liv", "Pål", "Ragnhild", "Sverre", "Torill", "Vegard", "Åsmund", "Ørjan",
    "Nina", "Lars", "Camilla", "Geir", "Hanne", "Jon", "Line", "Magnus", "Solveig", "Ida",
)
SURNAMES = (
    "Hansen", "Østebø", "Bjørnstad", "Hågensen", "Sæther", "Løvås", "Aas", "Dahl", "Berg",
    "Kristensen", "Hagland", "Nygård", "Lie", "Strand", "Haugen", "Sørensen", "Fjærli",
    "Rønning", "Solberg", "Bakke", "Myhre", "Våge", "Tveit", "Moe", "Eide", "Hovland", "Ødegård",
    "Kvåle", "Brekke", "Rød", "Holm", "Sandvik", "Foss", "Nilsen", "Jørgensen", "Grønli",
)
MINISTERS = (  # fictional ministers of trade and industry: name, first year, last year
    ("Marte Sæbø Lien", 2014, 2016), ("Eirik Håland", 2017, 2019),
    ("Ingvild Aas Nygård", 2020, 2022), ("Øyvind Brekke", 2023, 2024),
)
SLOGANS = (
    ("Sammen om grønn vekst", "Green growth together"),
    ("Fra idé til marked", "From idea to market"),
    ("Fra marked til industri", "From market to industry"),
    ("Kunnskap som skaper verdier", "Knowledge that creates value"),
    ("Verdensledende innen {nb}", "World-leading in {en}"),
    ("Ledende på {nb} i nord", "Leading in {en} in the north"),
    ("Norsk {nb} for verden", "Norwegian {en} for the world"),
    ("Bærekraftig vekst gjennom samarbeid", "Sustainable growth through cooperation"),
)
# member organisation kinds: org kind, weight, the member kind it is counted under
ORG_KINDS = (
    ("company", 0.72, "company"),
    ("municipality", 0.07, "public-body"),
    ("public-body", 0.04, "public-body"),
    ("government-agency", 0.01, "public-body"),
    ("research-institution", 0.08, "research-education"),
    ("business-development", 0.04, "other"),
    ("other", 0.04, "other"),
)
MEMBER_KINDS = ("company", "public-body", "research-education", "other")
KIND_WORDS = {
    "company": "medlemsbedrifter", "public-body": "offentlige aktører",
    "research-education": "forsknings- og utdanningsaktører", "other": "andre medlemmer",
}
NEWS_KIND_WORDS = {
    "company": "bedrifter", "public-body": "kommuner og offentlige aktører",
    "research-education": "FoU-miljøer", "other": "andre",
}


# --- terms ---------------------------------------------------------------------------------------

Term = tuple[str, str]  # (N-Triples form, Turtle/TriG form)


class Terms:
    """Makes and caches terms; every literal is escaped by pyoxigraph."""

    def __init__(self) -> None:
        self._iris: dict[tuple[str, str], Term] = {}
        self._typed: dict[tuple[str, str], Term] = {}

    def iri(self, prefix: str, local: str) -> Term:
        key = (prefix, local)
        term = self._iris.get(key)
        if term is None:
            base = FACT_NS + prefix[2:] + "/" if prefix.startswith("f:") else NAMESPACES[prefix]
            full = str(ox.NamedNode(base + local))
            short_prefix = "f" if prefix.startswith("f:") else prefix
            short = f"{short_prefix}:{local}" if _SAFE_LOCAL.match(local) else full
            term = self._iris[key] = (full, short)
        return term

    def foreign_fact(self, stem: str, local: str) -> Term:
        """A fact of another source: written whole, as f: means this file's facts."""
        full = self.iri(f"f:{stem}", local)[0]
        return (full, full)

    @staticmethod
    def text(value: str, lang: str | None = None) -> Term:
        written = str(ox.Literal(value, language=lang) if lang else ox.Literal(value))
        return (written, written)

    def typed(self, lexical: str, datatype: str) -> Term:
        key = (lexical, datatype)
        term = self._typed.get(key)
        if term is None:
            full = str(ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype)))
            if datatype in ("integer", "decimal", "boolean"):
                short = lexical  # Turtle's own number and boolean syntax
            else:
                short = full.replace(f"^^<{XSD}{datatype}>", f"^^xsd:{datatype}")
            term = self._typed[key] = (full, short)
        return term

    def integer(self, value: int) -> Term:
        return self.typed(str(value), "integer")

    def decimal(self, value: int) -> Term:
        return self.typed(f"{value}.0", "decimal")

    def boolean(self, value: bool) -> Term:
        return self.typed("true" if value else "false", "boolean")

    def date(self, value: str) -> Term:
        return self.typed(value, "date")


RDF_TYPE: Term = (f"<{NAMESPACES['rdf']}type>", "a")


@dataclass
class Source:
    """One synthetic source: a document, its named graph and the triples it holds."""

    stem: str  # file stem, graph local name and source-document local name
    title: str
    file_name: str
    blocks: list[tuple[Term | None, list[tuple[Term, Term]] | str]] = field(default_factory=list)
    quads: int = 0

    def add(self, subject: Term, pairs: list[tuple[Term, Term]]) -> None:
        self.blocks.append((subject, pairs))
        self.quads += len(pairs)

    def comment(self, text: str) -> None:
        self.blocks.append((None, text))


# --- the plan: every random decision, before any text is written --------------------------------


@dataclass
class Admission:
    """One level of one cluster: announced in ``year``, held for ``years`` from 1 January."""

    level: str
    year: int
    years: int
    annual: int = 0  # NOK per year
    regional_funder: int | None = None  # index of the county council co-funding the grant
    focus: list[int] = field(default_factory=list)  # indices into FOCUS_AREAS
    emphasis: str = "main"
    slogan: int = 0
    slogan_en: bool = False
    goal_reached: bool | None = None
    in_news: bool = False

    @property
    def start(self) -> str:
        return f"{self.year + 1}-01-01"

    @property
    def end(self) -> str:
        return f"{self.year + self.years}-12-31"


@dataclass
class Cluster:
    slug: str
    label: str
    abbreviation: str
    theme: int
    town: int
    host: int
    size: int  # number of member organisations (the register's count for LAST_YEAR-12-31)
    admissions: list[Admission]
    series: dict[int, int] = field(default_factory=dict)  # year -> members at year end
    breakdown: dict[str, int] = field(default_factory=dict)  # member kind -> count
    members: list[int] = field(default_factory=list)
    board: list[int] = field(default_factory=list)
    scope_national: bool = False
    leader: int = 0
    leader_post: int = 0  # 0 general manager, 1 CEO, 2 head
    org_number: str = ""
    planted: bool = False
    planted_kind: str = ""
    planted_count: int = 0
    news_public: bool = False


@dataclass
class Organisation:
    label: str
    kind: str
    number: str
    town: int


@dataclass
class Project:
    cluster: int
    slug: str
    label: str
    abbreviation: str | None
    test_centre: bool
    leader: int


@dataclass
class Plan:
    clusters: list[Cluster]
    organisations: list[Organisation]
    hosts: list[Organisation]
    host_managers: list[int]
    county_councils: list[Organisation]
    owners: list[Organisation]
    people: list[str]
    projects: list[Project]
    announcements: dict[int, str]  # year -> date


class Planner:
    """Draws the synthetic world from seeded generators, in a fixed order.

    Each cluster's own draws come from a generator of its own (seed and index), so the first N
    clusters of a larger world are the same N clusters and the size grows smoothly with N;
    everything else comes from one generator seeded with the seed.
    """

    def __init__(self, n_clusters: int, seed: int, max_size: int = 1500) -> None:
        self.n = n_clusters
        self.seed = seed
        self.max_size = max_size  # the most members a cluster can have
        self.rng = random.Random(seed)
        self._numbers: set[str] = set()
        self._names: set[str] = set()

    def plan(self) -> Plan:
        rng = self.rng
        announcements = {
            year: f"{year}-{rng.randint(10, 12):02d}-{rng.randint(1, 28):02d}"
            for year in range(FIRST_YEAR, LAST_YEAR + 1)
        }
        owners = [
            Organisation("Innovasjon Norge", "government-agency", self.org_number(), 0),
            Organisation("SIVA", "government-agency", self.org_number(), 0),
            Organisation("Norges forskningsråd", "government-agency", self.org_number(), 0),
        ]
        county_councils = [
            Organisation(f"{county} fylkeskommune", "public-body", self.org_number(),
                         next(i for i, (_, c) in enumerate(TOWNS) if c == county))
            for county in COUNTIES
        ]
        n_hosts = max(2, math.ceil(self.n / 3))
        hosts = [
            Organisation(
                f"{self.place_name()} {rng.choice(('Kunnskapspark', 'Innovasjon', 'Næringshage'))}"
                f"{rng.choice((' AS', ' AS', ' SA'))}",
                "innovation-company", self.org_number(), rng.randrange(len(TOWNS)),
            )
            for _ in range(n_hosts)
        ]
        # every host hosts a cluster; after that a few host many (weights fall as 1/sqrt(rank))
        host_weights = [(i + 1) ** -0.5 for i in range(n_hosts)]
        clusters = [self.cluster(i, n_hosts, host_weights) for i in range(self.n)]
        organisations = self.members(clusters)
        for cluster in clusters:
            self.counts(cluster, organisations)
        people: list[str] = []
        host_managers = [self.person(people) for _ in hosts]
        for cluster in clusters:
            cluster.leader = self.person(people)
            cluster.leader_post = rng.choices((0, 1, 2), (0.4, 0.3, 0.3))[0]
        projects = self.projects(clusters, people, host_managers)
        self.plant(clusters)
        return Plan(clusters, organisations, hosts, host_managers, county_councils, owners,
                    people, projects, announcements)

    # names and numbers

    def org_number(self) -> str:
        """A new nine-digit organisation number that passes the mod-11 check."""
        while True:
            digits = [self.rng.choice((8, 9))] + [self.rng.randrange(10) for _ in range(7)]
            check = mod11_check_digit(digits)
            if check is None:
                continue  # remainder 1: no valid check digit, draw again
            number = "".join(map(str, digits)) + str(check)
            if number not in self._numbers:
                self._numbers.add(number)
                return number

    def place_name(self) -> str:
        return self.rng.choice(NAME_HEADS) + self.rng.choice(NAME_TAILS)

    def person(self, people: list[str]) -> int:
        rng = self.rng
        first = rng.choice(FIRST_NAMES)
        middle = f" {rng.choice(SURNAMES)}" if rng.random() < 0.15 else ""
        people.append(f"{first}{middle} {rng.choice(SURNAMES)}")
        return len(people) - 1

    def organisation(self, kind: str, town: int) -> Organisation:
        rng, name = self.rng, self.place_name()
        if kind == "company":
            suffix = rng.choices((" AS", " ASA", " SA"), (0.9, 0.05, 0.05))[0]
            label = f"{name} {rng.choice(TRADES)}{suffix}"
        elif kind == "municipality":
            label = f"{name} kommune"
        elif kind == "public-body":
            label = f"{name} {rng.choice(('havn KF', 'IKT IKS', 'energiverk KF', 'vann IKS'))}"
        elif kind == "government-agency":
            area = rng.choice(("havbruk", "energi", "byggkvalitet", "mineraler"))
            label = f"Direktoratet for {area}"
        elif kind == "research-institution":
            label = rng.choice((f"{name} forskningsinstitutt", f"Høgskolen i {name}",
                                f"Universitetet i {name}", f"{name} Research AS"))
        elif kind == "business-development":
            label = rng.choice((f"{name} Næringsutvikling AS", f"{name} Næringsforening"))
        else:
            label = rng.choice((f"{name} Interesseforening", f"Stiftelsen {name}"))
        return Organisation(label, kind, self.org_number(), town)

    # clusters

    def cluster(self, index: int, n_hosts: int, host_weights: list[float]) -> Cluster:
        shared, self.rng = self.rng, random.Random(f"{self.seed}:cluster:{index}")
        try:
            return self.draw_cluster(index, n_hosts, host_weights)
        finally:
            self.rng = shared

    def draw_cluster(self, index: int, n_hosts: int, host_weights: list[float]) -> Cluster:
        rng = self.rng
        theme = rng.randrange(len(FOCUS_AREAS))
        _slug, _nb, en, _broader, word = FOCUS_AREAS[theme]
        while True:
            name = self.place_name()
            template = rng.randrange(3)
            if template == 0:
                label = f"{word[0].upper()}{word[1:]}klyngen {name}"
            elif template == 1:
                label = f"Norwegian {en.title()} Cluster {name}"
            else:
                label = f"Arena {name} {en.title()}"
            if label not in self._names:
                self._names.add(label)
                break
        abbreviation = "".join(w[0] for w in re.split(r"[\s-]+", label) if w).upper()
        admissions = self.level_chain(index)
        top = LEVELS.index(admissions[-1].level)
        # heavy tail: Pareto sizes, larger at higher levels, capped like the largest real ones
        pareto = 8.0 * (1.0 - rng.random()) ** (-1.0 / 1.3)
        size = max(5, min(self.max_size, int(pareto * (1.0, 1.6, 2.5)[top])))
        cluster = Cluster(
            slug=f"cluster-{index + 1:0{max(4, len(str(self.n)))}d}",
            label=label, abbreviation=abbreviation, theme=theme,
            town=rng.randrange(len(TOWNS)),
            host=index if index < n_hosts else rng.choices(range(n_hosts), host_weights)[0],
            size=size, admissions=admissions, scope_national=rng.random() < 0.3,
            org_number=self.org_number(),
        )
        self.strategy(cluster)
        return cluster

    def level_chain(self, index: int) -> list[Admission]:
        """Arena, then maybe Arena Pro, then maybe GCE: each announced in the last year of the
        previous period and starting the next 1 January, so the periods meet but never overlap."""
        rng = self.rng
        if index == 0:  # one cluster climbs all the way, so every level occurs
            plan = [("arena", FIRST_YEAR, 3), ("arena-pro", FIRST_YEAR + 3, 5),
                    ("gce", FIRST_YEAR + 8, 10)]
            return [self.admission(level, year, years) for level, year, years in plan]
        level = rng.choices(LEVELS, (0.72, 0.22, 0.06))[0]
        year = rng.randint(FIRST_YEAR, LAST_YEAR)
        chain = []
        while year <= LAST_YEAR:
            years = {"arena": rng.choice((3, 4, 5)), "arena-pro": 5, "gce": rng.choice((5, 10))}
            chain.append(self.admission(level, year, years[level]))
            if level == "gce" or rng.random() >= (0.55 if level == "arena" else 0.4):
                break
            year += years[level]
            level = LEVELS[LEVELS.index(level) + 1]
        return chain

    def admission(self, level: str, year: int, years: int) -> Admission:
        rng = self.rng
        low, high = {"arena": (10, 25), "arena-pro": (40, 60), "gce": (70, 100)}[level]
        regional = rng.randrange(len(COUNTIES)) if rng.random() < 0.3 else None
        return Admission(level, year, years, annual=rng.randint(low, high) * 100_000,
                         regional_funder=regional)

    def strategy(self, cluster: Cluster) -> None:
        """Focus areas and slogans per level period: the theme first, then new areas."""
        rng = self.rng
        related = [i for i, area in enumerate(FOCUS_AREAS)
                   if area[3] == FOCUS_AREAS[cluster.theme][0] or i == cluster.theme]
        for step, admission in enumerate(cluster.admissions):
            if step == 0:
                extra = rng.sample(related, min(len(related), rng.randint(1, 2)))
                admission.focus = sorted({cluster.theme, *extra})
                admission.emphasis = "main"
            else:
                admission.focus = sorted(rng.sample(range(len(FOCUS_AREAS)), rng.randint(1, 2)))
                admission.emphasis = "increased"
            admission.slogan = rng.randrange(len(SLOGANS))
            admission.slogan_en = rng.random() < 0.5
            if step < len(cluster.admissions) - 1:
                admission.goal_reached = rng.random() < 0.6

    # members

    def members(self, clusters: list[Cluster]) -> list[Organisation]:
        """Deal each cluster's member slots to organisations in one to three clusters each."""
        rng = self.rng
        slots = [index for index, cluster in enumerate(clusters) for _ in range(cluster.size)]
        rng.shuffle(slots)
        kinds = [k for k, _, _ in ORG_KINDS]
        weights = [w for _, w, _ in ORG_KINDS]
        organisations: list[Organisation] = []
        while slots:
            wanted = rng.choices((1, 2, 3), (0.72, 0.2, 0.08))[0]
            chosen: list[int] = []
            deferred: list[int] = []
            while slots and len(chosen) < wanted and len(deferred) < 8:
                slot = slots.pop()
                (deferred if slot in chosen else chosen).append(slot)
            slots.extend(deferred)
            home_cluster = clusters[chosen[0]]
            town = home_cluster.town if rng.random() < 0.7 else rng.randrange(len(TOWNS))
            organisations.append(self.organisation(rng.choices(kinds, weights)[0], town))
            for index in sorted(chosen):
                clusters[index].members.append(len(organisations) - 1)
        for cluster in clusters:
            cluster.size = len(cluster.members)
            seats = min(len(cluster.members), rng.randint(3, 7))
            cluster.board = sorted(rng.sample(cluster.members, seats))
        return organisations

    def counts(self, cluster: Cluster, organisations: list[Organisation]) -> None:
        """The register's yearly totals (growing to the real number of members) and the
        breakdown by kind that the report of the latest admission gives."""
        rng = self.rng
        first = min(cluster.admissions[0].year, LAST_YEAR)
        span = max(1, LAST_YEAR - first)
        value = 0
        for year in range(first, LAST_YEAR + 1):
            share = 0.5 + 0.5 * (year - first) / span
            drawn = round(cluster.size * share * rng.uniform(0.95, 1.0))
            value = max(value, min(cluster.size, drawn))
            cluster.series[year] = value
        cluster.series[LAST_YEAR] = cluster.size
        latest = cluster.admissions[-1].year
        total = cluster.series.get(latest - 1, cluster.series[latest])
        by_kind = dict.fromkeys(MEMBER_KINDS, 0)
        counted_as = {kind: member for kind, _, member in ORG_KINDS}
        for member in cluster.members:
            by_kind[counted_as[organisations[member].kind]] += 1
        cluster.breakdown = largest_remainder(by_kind, total)

    # people and projects

    def projects(
        self, clusters: list[Cluster], people: list[str], host_managers: list[int],
    ) -> list[Project]:
        rng = self.rng
        projects: list[Project] = []
        for index, cluster in enumerate(clusters):
            wanted = rng.choices((0, 1, 2, 3), (0.35, 0.35, 0.2, 0.1))[0]
            wanted += min(3, cluster.size // 150)
            _slug, nb, en, _broader, _word = FOCUS_AREAS[cluster.theme]
            for number in range(wanted):
                test_centre = rng.random() < 0.3
                name = self.place_name()
                if test_centre:
                    label = rng.choice((f"{en.title()} Test Lab {name}",
                                        f"{name} testsenter for {nb}"))
                else:
                    label = rng.choice((f"Fellesløft {name}", f"{name} kompetanseprogram",
                                        f"Klyngeprosjekt {nb} {name}"))
                abbreviation = (
                    "".join(w[0] for w in label.split()).upper() if rng.random() < 0.4 else None
                )
                # now and then the host's manager leads a project too
                leader = (host_managers[cluster.host] if rng.random() < 0.2
                          else self.person(people))
                projects.append(Project(index, f"{cluster.slug}-project-{number + 1}", label,
                                        abbreviation, test_centre, leader))
        return projects

    # newsletters and the planted disagreements

    def plant(self, clusters: list[Cluster]) -> None:
        """Pick the admissions the newsletters retell, and plant the disagreements: for a few
        clusters the newsletter gives a member count that differs from the report's count for
        the same cluster, kind and date."""
        rng = self.rng
        planted = max(1, round(0.08 * len(clusters)))
        chosen = set(rng.sample(range(len(clusters)), planted))
        for index, cluster in enumerate(clusters):
            for admission in cluster.admissions:
                admission.in_news = rng.random() < 0.35
            cluster.news_public = rng.random() < 0.5
            if index not in chosen:
                continue
            kind = next((k for k in MEMBER_KINDS if cluster.breakdown.get(k)), None)
            if kind is None:
                continue
            true_value = cluster.breakdown[kind]
            step = rng.randint(1, max(2, true_value // 8))
            up = rng.random() < 0.5 or true_value <= step
            wrong = true_value + step if up else true_value - step
            cluster.planted, cluster.planted_kind, cluster.planted_count = True, kind, wrong
            cluster.admissions[-1].in_news = True


def largest_remainder(weights: dict[str, int], total: int) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` into whole numbers that add up to it."""
    whole = sum(weights.values())
    if whole == 0:
        return {}
    exact = {k: total * w / whole for k, w in weights.items()}
    out = {k: math.floor(v) for k, v in exact.items()}
    left = total - sum(out.values())
    for k in sorted(exact, key=lambda k: (out[k] - exact[k], k))[:left]:
        out[k] += 1
    return {k: v for k, v in out.items() if v > 0}


# --- from the plan to triples --------------------------------------------------------------------


def slug(text: str) -> str:
    """ASCII slug of a Norwegian name: 'Møre og Romsdal' -> 'more-og-romsdal'."""
    folded = text.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a", "é": "e"}))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


class Writer:
    """Turns the plan into sources (blocks of predicate-object pairs per subject)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.t = Terms()
        t = self.t
        self.p = {
            name: t.iri(prefix, local)
            for name, (prefix, local) in {
                "label": ("rdfs", "label"), "prefLabel": ("skos", "prefLabel"),
                "altLabel": ("skos", "altLabel"), "inScheme": ("skos", "inScheme"),
                "broader": ("skos", "broader"), "derived": ("prov", "wasDerivedFrom"),
                "creator": ("dcterms", "creator"), "generated": ("prov", "generatedAtTime"),
                "language": ("dcterms", "language"), "member": ("org", "member"),
                "organization": ("org", "organization"), "role": ("org", "role"),
                "funder": ("schema", "funder"), "fundedItem": ("schema", "fundedItem"),
                "currency": ("schema", "currency"), "hasTime": ("time", "hasTime"),
                "inXSDDate": ("time", "inXSDDate"), "meets": ("time", "intervalMeets"),
            }.items()
        }
        for local in (
            "sourceDocument", "assertionMode", "fileName", "cluster", "host", "operatedBy",
            "programme", "owner", "level", "period", "decidedAt", "announcement", "announcedBy",
            "coversGrant", "memberKind", "project", "place", "locatedIn", "locationRole",
            "focusArea", "emphasis", "goal", "presentedBy", "presentedTo", "organisationKind",
            "basedIn", "startDate", "endDate", "duration", "annualAmount", "totalAmount",
            "count", "approximate", "observationDate", "categoryLabel", "postTitle", "slogan",
            "goalReached", "organisationNumber", "abbreviation", "stateFunded", "purpose",
        ):
            self.p[local] = t.iri("ck", local)
        self.c = {
            local: t.iri("ck", local)
            for local in (
                "Cluster", "ClusterOrganisation", "Person", "Place", "Programme", "SharedProject",
                "TestCentre", "Announcement", "Period", "FocusArea", "SourceDocument",
                "SourceGraph", "Hosting", "ProgrammeOwnership", "LevelAssignment",
                "AdmissionCount", "Grant", "FundingTotal", "MemberCount", "Membership",
                "Announcing",
                "PostHolding", "ClusterProject", "Location", "FocusStatement",
                "StrategyStatement", "CertificatePresentation",
            )
        }
        self.formal = t.iri("org", "FormalOrganization")
        self.registered = t.iri("rov", "RegisteredOrganization")
        self.instant = t.iri("time", "Instant")
        self.scheme = t.iri("skos", "ConceptScheme")
        self.stated = t.iri("ck", "stated")
        self.programme = t.iri("gen", "norwegian-innovation-clusters")
        self.norway = t.iri("place", "norway")
        self.nok = t.text("NOK")
        self.focus_scheme = t.iri("focus", "focus-areas")

    # entities

    def cluster_iri(self, c: Cluster) -> Term:
        return self.t.iri("gen", c.slug)

    def cluster_org_iri(self, c: Cluster) -> Term:
        return self.t.iri("gen", f"{c.slug}-organisation")

    def org_iri(self, index: int) -> Term:
        width = max(6, len(str(len(self.plan.organisations))))
        return self.t.iri("gen", f"org-{index + 1:0{width}d}")

    def host_iri(self, index: int) -> Term:
        return self.t.iri("gen", f"host-{index + 1:03d}")

    def owner_iri(self, index: int) -> Term:
        return self.t.iri("gen", ("innovasjon-norge", "siva", "forskningsradet")[index])

    def council_iri(self, index: int) -> Term:
        return self.t.iri("gen", f"{slug(COUNTIES[index])}-fylkeskommune")

    def person_iri(self, index: int) -> Term:
        return self.t.iri("gen", f"person-{index + 1:06d}")

    def minister_iri(self, index: int) -> Term:
        return self.t.iri("gen", f"minister-{slug(MINISTERS[index][0])}")

    def town_iri(self, index: int) -> Term:
        return self.t.iri("place", slug(TOWNS[index][0]))

    def county_iri(self, county: str) -> Term:
        return self.t.iri("place", f"county-{slug(county)}")

    def focus_iri(self, index: int) -> Term:
        return self.t.iri("focus", FOCUS_AREAS[index][0])

    def announcement_iri(self, year: int) -> Term:
        return self.t.iri("gen", f"announcement-{year}")

    def fact(self, source: Source, local: str) -> Term:
        return self.t.iri(f"f:{source.stem}", local)

    # sources

    def sources(self) -> list[Source]:
        plan = self.plan
        out = [self.register(), self.contacts()]
        years = sorted({a.year for c in plan.clusters for a in c.admissions})
        out += [self.report(year) for year in years]
        news_years = sorted({a.year for c in plan.clusters for a in c.admissions if a.in_news})
        out += [self.news(year) for year in news_years]
        return out

    def start(self, stem: str, title: str, file_name: str, label_nb: str, label_en: str) -> Source:
        t, p = self.t, self.p
        source = Source(stem, title, file_name)
        graph, document = t.iri("ckg", stem), t.iri("cks", stem)
        source.comment("the graph and its document")
        source.add(graph, [
            (RDF_TYPE, self.c["SourceGraph"]), (p["label"], t.text(label_nb, "nb")),
            (p["label"], t.text(label_en, "en")), (p["derived"], document),
            (p["creator"], t.text("clusterkg generate")),
            (p["generated"], t.typed(GENERATED_AT, "dateTime")),
        ])
        source.add(document, [
            (RDF_TYPE, self.c["SourceDocument"]), (p["label"], t.text(title)),
            (p["fileName"], t.text(file_name)), (p["language"], t.text("nb")),
        ])
        return source

    def described(self, source: Source, subject: Term, kind: Term, label: Term,
                  *more: tuple[Term, Term]) -> None:
        """An entity as a source names it: type, label, source document, more."""
        source.add(subject, [(RDF_TYPE, kind), (self.p["label"], label), *more,
                             (self.p["sourceDocument"], self.doc(source))])

    def doc(self, source: Source) -> Term:
        return self.t.iri("cks", source.stem)

    def add_fact(self, source: Source, local: str, kind: str,
                 pairs: list[tuple[Term, Term]]) -> Term:
        subject = self.fact(source, local)
        source.add(subject, [(RDF_TYPE, self.c[kind]), *pairs,
                             (self.p["assertionMode"], self.stated),
                             (self.p["sourceDocument"], self.doc(source))])
        return subject

    def organisation(self, source: Source, subject: Term, org: Organisation, kind: Term) -> None:
        t, p = self.t, self.p
        self.described(
            source, subject, kind, t.text(org.label),
            (p["organisationNumber"], t.text(org.number)),
            (p["organisationKind"], t.iri("okind", org.kind)),
            (p["basedIn"], self.town_iri(org.town)),
        )

    def programme_owners(self, source: Source) -> None:
        t, p = self.t, self.p
        self.described(
            source, self.programme, self.c["Programme"], t.text("Norwegian Innovation Clusters"),
            (p["altLabel"], t.text("klyngeprogrammet", "nb")),
            (p["stateFunded"], t.boolean(True)),
            (p["purpose"], t.text("verdiskaping gjennom bærekraftig innovasjon", "nb")),
            (p["purpose"], t.text("value creation through sustainable innovation", "en")),
        )
        for index in range(3):
            self.add_fact(source, f"programme-owner-{index + 1}", "ProgrammeOwnership", [
                (p["programme"], self.programme), (p["owner"], self.owner_iri(index)),
            ])

    # the register

    def register(self) -> Source:
        t, p, c, plan = self.t, self.p, self.c, self.plan
        source = self.start(
            "gen-register", "Klyngeregisteret (syntetisk uttrekk)", "klyngeregister.csv",
            "Fakta fra det syntetiske klyngeregisteret",
            "Facts from the synthetic cluster register",
        )
        source.comment("places")
        self.described(source, self.norway, c["Place"], t.text("Norge", "nb"),
                       (p["label"], t.text("Norway", "en")))
        for county in COUNTIES:
            self.described(source, self.county_iri(county), c["Place"], t.text(county),
                           (p["locatedIn"], self.norway))
        for index, (town, county) in enumerate(TOWNS):
            self.described(source, self.town_iri(index), c["Place"], t.text(town),
                           (p["locatedIn"], self.county_iri(county)))

        source.comment("the programme, its owners and the regional funders")
        for index, owner in enumerate(plan.owners):
            self.organisation(source, self.owner_iri(index), owner, self.formal)
        self.programme_owners(source)
        for index, council in enumerate(plan.county_councils):
            self.organisation(source, self.council_iri(index), council, self.formal)

        source.comment("focus areas")
        source.add(self.focus_scheme, [
            (RDF_TYPE, self.scheme),
            (p["label"], t.text("fokusområder", "nb")), (p["label"], t.text("focus areas", "en")),
            (p["prefLabel"], t.text("fokusområder", "nb")),
            (p["prefLabel"], t.text("focus areas", "en")),
        ])
        for index, (_slug, nb, en, broader, _word) in enumerate(FOCUS_AREAS):
            pairs = [
                (RDF_TYPE, c["FocusArea"]), (p["inScheme"], self.focus_scheme),
                (p["label"], t.text(nb, "nb")), (p["label"], t.text(en, "en")),
                (p["prefLabel"], t.text(nb, "nb")), (p["prefLabel"], t.text(en, "en")),
            ]
            if broader:
                pairs.append((p["broader"], t.iri("focus", broader)))
            source.add(self.focus_iri(index), [*pairs, (p["sourceDocument"], self.doc(source))])

        source.comment("hosts")
        for index, host in enumerate(plan.hosts):
            self.organisation(source, self.host_iri(index), host, self.registered)

        source.comment("clusters and the organisations that run them")
        for cluster in plan.clusters:
            self.described(
                source, self.cluster_iri(cluster), c["Cluster"], t.text(cluster.label),
                (p["abbreviation"], t.text(cluster.abbreviation)),
                (p["operatedBy"], self.cluster_org_iri(cluster)),
            )
            org = Organisation(f"{cluster.label} AS", "cluster-organisation",
                               cluster.org_number, cluster.town)
            self.organisation(source, self.cluster_org_iri(cluster), org, c["ClusterOrganisation"])

        source.comment("member organisations")
        for index, org in enumerate(plan.organisations):
            self.organisation(source, self.org_iri(index), org, self.registered)

        source.comment("hosting, places, members and member counts per cluster")
        member_role, board_role = t.iri("role", "member"), t.iri("role", "board-member")
        all_kind, members_word = t.iri("kind", "all"), t.text("medlemmer", "nb")
        for cluster in plan.clusters:
            node = self.cluster_iri(cluster)
            self.add_fact(source, f"{cluster.slug}-host", "Hosting", [
                (p["cluster"], node), (p["host"], self.host_iri(cluster.host)),
            ])
            county = TOWNS[cluster.town][1]
            places = [("base", self.town_iri(cluster.town)),
                      ("main-concentration", self.county_iri(county))]
            places.append(("scope", self.norway) if cluster.scope_national
                          else ("member-catchment", self.county_iri(county)))
            for role, place in places:
                self.add_fact(source, f"{cluster.slug}-{role}", "Location", [
                    (p["cluster"], node), (p["place"], place),
                    (p["locationRole"], t.iri("where", role)),
                ])
            for member in cluster.members:
                self.add_fact(source, f"{cluster.slug}-member-{member + 1}", "Membership", [
                    (p["member"], self.org_iri(member)), (p["organization"], node),
                    (p["role"], member_role),
                ])
            for member in cluster.board:
                self.add_fact(source, f"{cluster.slug}-board-{member + 1}", "Membership", [
                    (p["member"], self.org_iri(member)), (p["organization"], node),
                    (p["role"], board_role),
                ])
            for year, count in cluster.series.items():
                self.add_fact(source, f"{cluster.slug}-members-{year}", "MemberCount", [
                    (p["cluster"], node), (p["memberKind"], all_kind),
                    (p["count"], t.integer(count)), (p["approximate"], t.boolean(False)),
                    (p["observationDate"], t.date(f"{year}-12-31")),
                    (p["categoryLabel"], members_word),
                ])
        return source

    # the contact list

    def contacts(self) -> Source:
        t, p, c, plan = self.t, self.p, self.c, self.plan
        source = self.start(
            "gen-contacts", "Kontaktliste for klyngeprogrammet (syntetisk)", "kontaktliste.xlsx",
            "Fakta fra den syntetiske kontaktlisten", "Facts from the synthetic contact list",
        )
        source.comment("people")
        for index, name in enumerate(plan.people):
            self.described(source, self.person_iri(index), c["Person"], t.text(name))
        source.comment("shared projects and test centres")
        for project in plan.projects:
            more = ([(p["abbreviation"], t.text(project.abbreviation))]
                    if project.abbreviation else [])
            self.described(source, t.iri("gen", project.slug),
                           c["TestCentre" if project.test_centre else "SharedProject"],
                           t.text(project.label), *more)
        source.comment("posts and projects")
        posts = (
            ("general-manager", t.text("daglig leder", "nb")),
            ("ceo", t.text("CEO", "en")),
            ("head", t.text("klyngeleder", "nb")),
        )
        for cluster in plan.clusters:
            role, title = posts[cluster.leader_post]
            self.add_fact(source, f"{cluster.slug}-leader", "PostHolding", [
                (p["member"], self.person_iri(cluster.leader)),
                (p["organization"], self.cluster_org_iri(cluster)),
                (p["role"], t.iri("role", role)), (p["postTitle"], title),
            ])
        for index, manager in enumerate(plan.host_managers):
            self.add_fact(source, f"host-{index + 1:03d}-manager", "PostHolding", [
                (p["member"], self.person_iri(manager)), (p["organization"], self.host_iri(index)),
                (p["role"], t.iri("role", "general-manager")),
                (p["postTitle"], t.text("daglig leder", "nb")),
            ])
        for project in plan.projects:
            node = t.iri("gen", project.slug)
            self.add_fact(source, project.slug, "ClusterProject", [
                (p["cluster"], self.cluster_iri(plan.clusters[project.cluster])),
                (p["project"], node),
            ])
            self.add_fact(source, f"{project.slug}-leader", "PostHolding", [
                (p["member"], self.person_iri(project.leader)), (p["organization"], node),
                (p["role"], t.iri("role", "head")),
                (p["postTitle"], t.text("prosjektleder", "nb")),
            ])
        return source

    # the yearly report

    def period(self, source: Source, cluster: Cluster, step: int) -> Term:
        """The period of a cluster's level, described in the report that announced it, and
        joined to the previous level's period (time:intervalMeets)."""
        t, p = self.t, self.p
        admission = cluster.admissions[step]
        node = self.fact(source, f"{cluster.slug}-{admission.level}-period")
        label = LEVEL_LABEL[admission.level]
        source.add(node, [
            (RDF_TYPE, self.c["Period"]),
            (p["label"], t.text(f"{admission.years} år som {label}", "nb")),
            (p["label"], t.text(f"{admission.years} years at {label}", "en")),
            (p["startDate"], t.date(admission.start)), (p["endDate"], t.date(admission.end)),
            (p["duration"], t.typed(f"P{admission.years}Y", "duration")),
        ])
        if step > 0:
            previous = cluster.admissions[step - 1]
            before = self.t.foreign_fact(f"gen-report-{previous.year}",
                                        f"{cluster.slug}-{previous.level}-period")
            source.add(before, [(p["meets"], node)])
        return node

    def report(self, year: int) -> Source:
        t, p, c, plan = self.t, self.p, self.c, self.plan
        source = self.start(
            f"gen-report-{year}", f"Årsrapport {year} for klyngeprogrammet (syntetisk)",
            f"arsrapport-{year}.pdf", f"Fakta fra årsrapporten {year}",
            f"Facts from the annual report {year}",
        )
        admitted = [(cluster, step) for cluster in plan.clusters
                    for step, a in enumerate(cluster.admissions) if a.year == year]
        source.comment("the programme and the announcement")
        self.programme_owners(source)
        announcement = self.announcement(source, year)

        source.comment("admissions")
        for level in LEVELS:
            count = sum(1 for cl, step in admitted if cl.admissions[step].level == level)
            if count:
                self.add_fact(source, f"admitted-{level}", "AdmissionCount", [
                    (p["programme"], self.programme), (p["announcement"], announcement),
                    (p["level"], t.iri("ckl", level)), (p["count"], t.integer(count)),
                ])
        self.add_fact(source, "admitted-total", "AdmissionCount", [
            (p["programme"], self.programme), (p["announcement"], announcement),
            (p["count"], t.integer(len(admitted))),
        ])

        grants: list[Term] = []
        total = 0
        for cluster, step in admitted:
            admission = cluster.admissions[step]
            node, level = self.cluster_iri(cluster), t.iri("ckl", admission.level)
            source.comment(f"{cluster.label}: {LEVEL_LABEL[admission.level]}")
            self.described(source, node, c["Cluster"], t.text(cluster.label),
                           (p["abbreviation"], t.text(cluster.abbreviation)))
            period = self.period(source, cluster, step)
            self.add_fact(source, f"{cluster.slug}-{admission.level}", "LevelAssignment", [
                (p["cluster"], node), (p["level"], level), (p["programme"], self.programme),
                (p["decidedAt"], announcement), (p["period"], period),
            ])
            funders = [(p["funder"], self.owner_iri(i)) for i in range(3)]
            if admission.regional_funder is not None:
                funders.append((p["funder"], self.council_iri(admission.regional_funder)))
            grant = f"{cluster.slug}-{admission.level}-grant"
            grants.append(self.add_fact(source, grant, "Grant", [
                (p["fundedItem"], node), *funders, (p["programme"], self.programme),
                (p["level"], level), (p["annualAmount"], t.decimal(admission.annual)),
                (p["currency"], self.nok), (p["period"], period),
            ]))
            total += admission.annual * admission.years
            self.add_fact(source, f"{cluster.slug}-focus-{admission.level}", "FocusStatement", [
                (p["cluster"], node),
                *[(p["focusArea"], self.focus_iri(i)) for i in admission.focus],
                (p["emphasis"], t.iri("emph", admission.emphasis)), (p["period"], period),
            ])
            if step > 0:  # the earlier areas go on
                earlier = cluster.admissions[0].focus
                self.add_fact(source, f"{cluster.slug}-focus-ongoing-{admission.level}",
                              "FocusStatement", [
                    (p["cluster"], node),
                    *[(p["focusArea"], self.focus_iri(i)) for i in earlier],
                    (p["emphasis"], t.iri("emph", "ongoing")), (p["period"], period),
                ])
            nb, en = SLOGANS[admission.slogan]
            area = FOCUS_AREAS[cluster.theme]
            slogans = [(p["slogan"], t.text(nb.format(nb=area[1], en=area[2]), "nb"))]
            if admission.slogan_en:
                slogans.append((p["slogan"], t.text(en.format(nb=area[1], en=area[2]), "en")))
            reached = ([(p["goalReached"], t.boolean(admission.goal_reached))]
                       if admission.goal_reached is not None else [])
            self.add_fact(source, f"{cluster.slug}-strategy-{admission.level}",
                          "StrategyStatement", [
                (p["cluster"], node), *slogans,
                *[(p["goal"], self.focus_iri(i)) for i in admission.focus],
                *reached, (p["period"], period),
            ])
            if step == len(cluster.admissions) - 1:  # the application's member counts
                date = t.date(plan.announcements[year])
                for kind, count in cluster.breakdown.items():
                    self.add_fact(source, f"{cluster.slug}-members-{kind}", "MemberCount", [
                        (p["cluster"], node), (p["memberKind"], t.iri("kind", kind)),
                        (p["count"], t.integer(count)), (p["approximate"], t.boolean(False)),
                        (p["observationDate"], date),
                        (p["categoryLabel"], t.text(KIND_WORDS[kind], "nb")),
                    ])
        if grants:
            source.comment("the year's grants in all")
            self.add_fact(source, "funding-total", "FundingTotal", [
                *[(p["fundedItem"], self.cluster_iri(cl)) for cl, _ in admitted],
                *[(p["coversGrant"], g) for g in grants],
                (p["totalAmount"], t.decimal(total)), (p["currency"], self.nok),
            ])
        return source

    def announcement(self, source: Source, year: int) -> Term:
        t, p = self.t, self.p
        node, instant = self.announcement_iri(year), t.iri("gen", f"announcement-{year}-time")
        self.described(
            source, node, self.c["Announcement"],
            t.text(f"Kunngjøring av nye klynger og opprykk {year}", "nb"),
            (p["label"], t.text(f"Announcement of new and upgraded clusters {year}", "en")),
            (p["programme"], self.programme),
            (p["hasTime"], instant),
        )
        source.add(instant, [(RDF_TYPE, self.instant),
                             (p["inXSDDate"], t.date(self.plan.announcements[year]))])
        for i in range(3):  # who announced it: one fact per owner, as the real graph has
            self.add_fact(source, f"announcement-{year}-by-{i + 1}", "Announcing", [
                (p["announcement"], node), (p["announcedBy"], self.owner_iri(i)),
            ])
        return node

    # the yearly newsletter

    def news(self, year: int) -> Source:
        t, p, c, plan = self.t, self.p, self.c, self.plan
        source = self.start(
            f"gen-news-{year}", f"Klyngenytt {year} (syntetisk nyhetsbrev)",
            f"klyngenytt-{year}.html", f"Fakta fra nyhetsbrevet Klyngenytt {year}",
            f"Facts from the newsletter Klyngenytt {year}",
        )
        told = [(cluster, step) for cluster in plan.clusters
                for step, a in enumerate(cluster.admissions) if a.year == year and a.in_news]
        minister = next(i for i, (_, first, last) in enumerate(MINISTERS) if first <= year <= last)
        source.comment("the programme and the announcement")
        self.described(source, self.programme, c["Programme"],
                       t.text("Norwegian Innovation Clusters"))
        announcement = self.announcement(source, year)
        if any(cluster.admissions[step].level != "arena" for cluster, step in told):
            self.described(source, self.minister_iri(minister), c["Person"],
                           t.text(MINISTERS[minister][0]))
            self.add_fact(source, "minister", "PostHolding", [
                (p["member"], self.minister_iri(minister)),
                (p["role"], t.iri("role", "minister")),
                (p["postTitle"], t.text("næringsminister", "nb")),
            ])
        for cluster, step in told:
            admission = cluster.admissions[step]
            node, level = self.cluster_iri(cluster), t.iri("ckl", admission.level)
            source.comment(f"{cluster.label}: {LEVEL_LABEL[admission.level]}")
            self.described(source, node, c["Cluster"], t.text(cluster.label))
            period = self.fact(source, f"{cluster.slug}-{admission.level}-period")
            source.add(period, [
                (RDF_TYPE, c["Period"]),
                (p["label"], t.text(f"{admission.years} nye år", "nb")),
                (p["label"], t.text(f"{admission.years} new years", "en")),
                (p["duration"], t.typed(f"P{admission.years}Y", "duration")),
            ])
            self.add_fact(source, f"{cluster.slug}-{admission.level}", "LevelAssignment", [
                (p["cluster"], node), (p["level"], level), (p["programme"], self.programme),
                (p["decidedAt"], announcement), (p["period"], period),
            ])
            if admission.level != "arena":
                self.described(source, self.person_iri(cluster.leader), c["Person"],
                               t.text(plan.people[cluster.leader]))
                self.add_fact(source, f"{cluster.slug}-certificate", "CertificatePresentation", [
                    (p["cluster"], node), (p["level"], level),
                    (p["presentedBy"], self.minister_iri(minister)),
                    (p["presentedTo"], self.person_iri(cluster.leader)),
                ])
            if step != len(cluster.admissions) - 1:
                continue
            date = t.date(plan.announcements[year])
            kinds = ["company", "public-body"] if cluster.news_public else ["company"]
            if cluster.planted and cluster.planted_kind not in kinds:
                kinds.append(cluster.planted_kind)
            for kind in kinds:
                if kind not in cluster.breakdown:
                    continue
                count = cluster.breakdown[kind]
                if cluster.planted and kind == cluster.planted_kind:
                    count = cluster.planted_count
                self.add_fact(source, f"{cluster.slug}-members-{kind}", "MemberCount", [
                    (p["cluster"], node), (p["memberKind"], t.iri("kind", kind)),
                    (p["count"], t.integer(count)), (p["approximate"], t.boolean(False)),
                    (p["observationDate"], date),
                    (p["categoryLabel"], t.text(NEWS_KIND_WORDS[kind], "nb")),
                ])
        return source


# --- text ----------------------------------------------------------------------------------------


def trig_text(source: Source) -> str:
    """The source as a TriG file: prefixes, then one GRAPH block, subjects grouped."""
    fact_ns = f"{FACT_NS}{source.stem}/"
    width = max(len(prefix) for prefix in NAMESPACES) + 1
    lines = [
        f"# {source.title}: synthetic facts written by `clusterkg generate`.\n",
        f"# Every fact names its source document (cks:{source.stem}); the document is not a\n",
        "# text file, so the facts cite no source lines.\n",
    ]
    for prefix, namespace in [*NAMESPACES.items(), ("f", fact_ns)]:
        lines.append(f"@prefix {prefix + ':':<{width}} <{namespace}> .\n")
    lines.append(f"\nckg:{source.stem} {{\n")
    for subject, pairs in source.blocks:
        if subject is None:
            lines.append(f"\n    # --- {pairs} ---\n\n")
            continue
        assert not isinstance(pairs, str)
        parts = [f"    {subject[1]}"]
        previous = None
        for predicate, obj in pairs:
            if predicate is previous:  # the same predicate again: an object list
                parts.append(f" , {obj[1]}")
            elif previous is None:
                parts.append(f" {predicate[1]} {obj[1]}")
            else:
                parts.append(f" ;\n        {predicate[1]} {obj[1]}")
            previous = predicate
        parts.append(" .\n")
        lines.append("".join(parts))
    lines.append("}\n")
    return "".join(lines)


def nquads_text(source: Source) -> str:
    """The source's quads, one per line, in the order they were made."""
    graph = str(ox.NamedNode(NAMESPACES["ckg"] + source.stem))
    lines = []
    for subject, pairs in source.blocks:
        if subject is None:
            continue
        assert not isinstance(pairs, str)
        head = subject[0]
        lines.extend(f"{head} {predicate[0]} {obj[0]} {graph} .\n" for predicate, obj in pairs)
    return "".join(lines)


# --- the command's work ------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What generate wrote."""

    out_dir: Path
    clusters: int
    organisations: int
    people: int
    files: list[tuple[Path, int]]  # graph file, quads
    quads: int
    planted_conflicts: int


Progress = Callable[[str, int, int], None]  # (what, done, total)


def clusters_for_size(size: str) -> int:
    """The first guess of N for a --size name (corrected after a trial plan, see generate)."""
    return max(1, round(SIZES[size] / QUADS_PER_CLUSTER))


def max_size_for(target: int) -> int:
    """The largest cluster for a size: small worlds must not hang on one giant cluster."""
    return max(60, min(1500, target // 60))


def build_sources(
    clusters: int, seed: int, max_size: int = 1500,
) -> tuple[Plan, list[Source]]:
    """Plan the world for N clusters and turn it into sources (in memory)."""
    plan = Planner(clusters, seed, max_size).plan()
    return plan, Writer(plan).sources()


def sized_sources(
    size: str, seed: int, progress: Progress | None = None,
) -> tuple[Plan, list[Source]]:
    """Find N whose world has about the size's number of quads, and return that world.

    N from the mean rate is corrected from the count of a trial, until the count is within
    SIZE_TOLERANCE or N and N+1 straddle the target; the closest world wins. Deterministic:
    every trial uses the same seed, and a cluster is the same whatever N is.
    """
    target = SIZES[size]
    max_size = max_size_for(target)
    n = clusters_for_size(size)
    counts: dict[int, int] = {}
    best: tuple[int, Plan, list[Source]] | None = None
    for attempt in range(SIZE_ATTEMPTS):
        if progress:
            progress(f"planning {n} clusters", attempt, SIZE_ATTEMPTS)
        plan, sources = build_sources(n, seed, max_size)
        quads = counts[n] = sum(s.quads for s in sources)
        if best is None or abs(quads - target) < abs(best[0] - target):
            best = (quads, plan, sources)
        if abs(quads - target) <= SIZE_TOLERANCE * target:
            break
        below = max((k for k, q in counts.items() if q < target), default=None)
        above = min((k for k, q in counts.items() if q >= target), default=None)
        if below is not None and above is not None and above - below <= 1:
            break
        guess = max(1, round(n * target / quads))
        if below is not None:
            guess = max(guess, below + 1)
        if above is not None:
            guess = min(guess, above - 1)
        if guess in counts:
            break
        n = guess
    assert best is not None
    return best[1], best[2]


def generate(
    home: Home, out_dir: Path, *, clusters: int | None = None, size: str | None = None,
    seed: int = 1, progress: Progress | None = None, command: str = "",
) -> Result:
    """Write the synthetic project into ``out_dir`` (see the module docstring)."""
    if (clusters is None) == (size is None):
        raise ClusterKGError("give either --clusters N or --size (10k, 100k or 1m)")
    if clusters is not None and clusters < 1:
        raise ClusterKGError(f"--clusters must be 1 or more, not {clusters}")
    prepare(out_dir)
    if size is not None:
        plan, sources = sized_sources(size, seed, progress)
    else:
        if progress:
            progress(f"planning {clusters} clusters", 0, 1)
        plan, sources = build_sources(clusters or 1, seed)
    copy_model(home, out_dir)
    graph_dir = out_dir / "graph"
    make_dir(graph_dir)
    files: list[tuple[Path, int]] = []
    nquads: list[str] = []
    for done, source in enumerate(sources):
        if progress:
            progress(f"writing {source.stem}.trig", done, len(sources))
        target = graph_dir / f"{source.stem}.trig"
        write_atomically(target, trig_text(source).encode("utf-8"))
        nquads.append(nquads_text(source))
        files.append((target, source.quads))
    if progress:
        progress("writing all.nq", len(sources), len(sources) + 1)
    write_atomically(out_dir / "all.nq", "".join(nquads).encode("utf-8"))
    remove_stale(graph_dir, {path.name for path, _ in files})
    write_atomically(out_dir / MARKER, (command + "\n").encode("utf-8"))
    return Result(
        out_dir=out_dir, clusters=len(plan.clusters), organisations=len(plan.organisations),
        people=len(plan.people), files=files, quads=sum(q for _, q in files),
        planted_conflicts=sum(1 for c in plan.clusters if c.planted),
    )


def make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClusterKGError(f"cannot create directory {path}: {exc.strerror or exc}") from exc


def prepare(out_dir: Path) -> None:
    """Make ``out_dir``, or accept it when it is empty or an earlier generated project."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ClusterKGError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir():
        try:
            entries = list(out_dir.iterdir())
        except OSError as exc:
            raise ClusterKGError(f"cannot read {out_dir}: {exc.strerror or exc}") from exc
        if entries and not (out_dir / MARKER).is_file():
            raise ClusterKGError(
                f"{out_dir} is not empty and was not made by `clusterkg generate`; "
                "give a new or empty directory"
            )
    make_dir(out_dir)
    try:
        probe = out_dir / f".{MARKER}.probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ClusterKGError(f"cannot write in {out_dir}: {exc.strerror or exc}") from exc


def copy_model(home: Home, out_dir: Path) -> None:
    """Copy ontology/, shapes/ and queries/ of ``home``, so the new project validates and
    queries with the same model; files the home no longer has are removed."""
    for folder in COPIED_FOLDERS:
        source_dir, target_dir = home.root / folder, out_dir / folder
        files = [p for p in sorted(source_dir.iterdir()) if p.is_file()
                 and not p.name.startswith(".")] if source_dir.is_dir() else []
        if not files and not target_dir.exists():
            continue
        make_dir(target_dir)
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ClusterKGError(f"cannot read {path}: {exc.strerror or exc}") from exc
            write_atomically(target_dir / path.name, data)
        remove_stale(target_dir, {p.name for p in files})


def remove_stale(directory: Path, keep: Iterable[str]) -> None:
    """Remove the files of an earlier run that this run did not write."""
    wanted = set(keep)
    for path in sorted(directory.iterdir()):
        if path.name in wanted or path.name.startswith("."):
            continue
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as exc:
            raise ClusterKGError(f"cannot remove {path}: {exc.strerror or exc}") from exc
