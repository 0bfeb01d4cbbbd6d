"""A fast, deterministic generator of synthetic reports for the demo and the benchmarks.

``generate(n, seed)`` adds ``n`` reports, one case each, their categories,
trust-pulse answers (for many reports, plus standalone ones) and a few
officer/reporter messages, spread over the 12 months before today.

Determinism: everything comes from ``random.Random(seed)`` and from
``today`` (a parameter, by default the current UTC date). The same seed on
the same day gives the same reports, cases and answers; a different day
shifts every date by the same amount. Database ids depend on what the
database already holds, so only the content is compared, never the ids.

Speed: rows are built as plain dicts and written with executemany INSERTs
in batches (5,000 reports at a time): straight to the DB-API cursor on
SQLite, Core ``INSERT`` elsewhere; never one ORM object per row and never
through HTTP. Ids are assigned here (max + 1) so that a case and its report
go out in the same batch without RETURNING; PostgreSQL sequences are moved
past them at the end. From PARALLEL_FROM reports up, a forked producer
process builds the rows while this process writes them (two cores).
Narratives also get their search-index rows (tracker.cases.search), and
bulk rows bypass the live rollup upkeep: callers rebuild the rollups
(``tracker.metrics.rollups.rebuild``) afterwards, as the demo command and
bench/generate.py do.

Synthetic receipts hash to ``sha256("synthetic:<seed>:<id>:<n>")``, which no
receipt code can produce (real hashes are scrypt over an HMAC).

What synthetic rows do not have, on purpose:
- a real receipt: ``receipt_hash`` is not the hash of any code, so no receipt opens them
  (``tracker.demo.cli`` files a few real reports through the intake service
  for that);
- audit events: the bulk rows are not events that happened. One
  ``demo.loaded`` event records the load itself (see ``tracker.demo.cli``);
- coordinates: the demo country is fictional, so any coordinate would point
  at a real place;
- fresh ciphertext per row: narratives, place descriptions, contact details
  and messages are encrypted once into a small pool and the tokens reused,
  because encrypting a million narratives would dominate the run time.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate

import sqlalchemy as sa

from tracker.cases.deadlines import triage_deadline
from tracker.cases.escalation import escalates_on_intake
from tracker.cases.intake import case_ref
from tracker.core.crypto import encrypt_json, encrypt_text
from tracker.core.db import utcnow
from tracker.extensions import db
from tracker.intake.models import SEVERITY_ORDER
from tracker.intake.statuses import STATES_WITH_OUTCOME

BATCH_SIZE = 5000
DAYS = 365
NARRATIVE_SHARE = 0.25  # many reporters only tick boxes

# ---------------------------------------------------------------------------
# The shape of the synthetic world. Codes refer to tracker/demo/data/*.csv;
# a code missing from the database is simply left out of the mix.

# Province heat: Eastern Border and River Valley see most operations.
PROVINCE_WEIGHTS = {"XV01": 1.0, "XV02": 2.6, "XV03": 3.0, "XV04": 1.3}

# (force code, unit code or None, weight) per province; maritime districts
# have their own mix (the navy at sea).
FORCE_MIX = {
    "XV01": [("ARMY", "BN12", 3), ("ARMY", None, 1), ("POLICE", None, 2), ("POLICE", "ANTI", 1), ("UNKNOWN", None, 1)],
    "XV02": [("ARMY", "BDE4", 4), ("ARMY", "SF1", 1), ("POLICE", "ANTI", 3), ("POLICE", None, 1),
             ("JTF", "JTF-A", 1), ("UNKNOWN", None, 1)],
    "XV03": [("POLICE", "BORD", 4), ("ARMY", "BN12", 2), ("JTF", "JTF-A", 2), ("ARMY", "SF1", 1), ("UNKNOWN", None, 1)],
    "XV04": [("NAVY", "MAR1", 3), ("POLICE", None, 2), ("NAVY", "CG2", 1), ("UNKNOWN", None, 1)],
}
MARITIME_FORCE_MIX = [("NAVY", "CG2", 6), ("NAVY", "MAR1", 2), ("JTF", "JTF-A", 1), ("UNKNOWN", None, 1)]

# More threats, searches and detentions than killings.
CATEGORY_WEIGHTS = {
    "threats": 16, "illegal_search": 15, "arbitrary_detention": 14, "assault": 10,
    "looting_extortion": 8, "property_destruction": 7, "mass_roundup": 4, "displacement": 4,
    "detainee_abuse": 3, "torture": 3, "disappearance": 2.5, "attempted_killing": 2, "killing": 2,
    "sexual_violence": 1.5, "land_seizure": 2, "essential_services": 1.5, "explosive_weapons": 1,
    "denial_of_care": 1.5, "collective_punishment": 2, "other": 2,
}
# At sea: boardings, seizures of boats and catch, detentions of crews.
MARITIME_CATEGORY_WEIGHTS = {
    "illegal_search": 20, "arbitrary_detention": 14, "property_destruction": 10, "looting_extortion": 10,
    "threats": 10, "assault": 6, "disappearance": 2, "killing": 1, "attempted_killing": 1, "other": 2,
}
# What tends to come together in one incident.
COMPANIONS = {
    "illegal_search": ["property_destruction", "looting_extortion", "threats", "arbitrary_detention"],
    "arbitrary_detention": ["assault", "detainee_abuse", "illegal_search", "threats"],
    "mass_roundup": ["arbitrary_detention", "collective_punishment", "threats"],
    "killing": ["assault", "property_destruction", "explosive_weapons"],
    "attempted_killing": ["assault", "threats"],
    "torture": ["arbitrary_detention", "detainee_abuse"],
    "detainee_abuse": ["arbitrary_detention", "torture"],
    "displacement": ["property_destruction", "collective_punishment", "land_seizure"],
    "property_destruction": ["looting_extortion", "displacement"],
    "looting_extortion": ["threats", "illegal_search"],
    "assault": ["threats", "arbitrary_detention"],
    "disappearance": ["arbitrary_detention"],
    "explosive_weapons": ["property_destruction", "essential_services"],
    "sexual_violence": ["assault", "threats"],
    "essential_services": ["property_destruction", "denial_of_care"],
    "denial_of_care": ["assault"],
    "land_seizure": ["displacement", "threats"],
    "collective_punishment": ["property_destruction", "threats"],
}

# The alert the demo should show (to the demo commander, of the army): a
# surge of 12th Battalion reports in La Frontera during the last six weeks.
SPIKE = {"share": 0.03, "region": "XV0301", "force": "ARMY", "unit": "BN12", "days": 42,
         "categories": ["arbitrary_detention", "assault", "illegal_search", "threats"]}

# Trust (1–5 scale, mean) per province, and how it drifts over the year
# (points per year; negative = falling towards today).
TRUST_BASE = {"XV01": 3.7, "XV02": 3.0, "XV03": 2.8, "XV04": 3.3}
TRUST_DRIFT = {"XV03": -0.9}
PULSE_ITEMS = ("respect", "voice", "fairness", "safe_to_report", "safety")
PULSE_ITEM_OFFSET = {"respect": 0.0, "voice": -0.3, "fairness": -0.2, "safe_to_report": -0.4, "safety": 0.2}
SEVERITY_TRUST_PENALTY = {"critical": 1.0, "high": 0.6, "medium": 0.25, "low": 0.0}

LANGUAGE_WEIGHTS = {"es": 45, "en": 30, "ar": 15, "fr": 10}
RELATIONSHIP_WEIGHTS = {"victim": 30, "witness": 30, "family": 20, "community": 12, "organisation": 8}
PARTS_OF_DAY = ("morning", "afternoon", "evening", "night")
OUTCOME_WEIGHTS = {"substantiated": 30, "partly_substantiated": 25, "not_substantiated": 25, "unable_to_determine": 20}
REFERRED_TO = ("Public Prosecutor's Office", "Ombudsman of Valdoria", "Military Justice Directorate")

# Short synthetic narratives, per language. Marked as synthetic on purpose.
NARRATIVES = {
    "en": [
        "Synthetic demo text. Men in uniform came to the houses at dawn and took two young men without saying why.",
        "Synthetic demo text. Soldiers searched every house on our street and broke the doors. Nobody showed a paper.",
        "Synthetic demo text. At the checkpoint they took money from the drivers and threatened those who refused.",
        "Synthetic demo text. Our boats were stopped at sea, the crew held for a day and the catch thrown away.",
        "Synthetic demo text. They beat my brother in front of the children and said they would come back.",
        "Synthetic demo text. After the raid families left the village; the fields were burned.",
    ],
    "es": [
        "Texto de demostración sintético. Hombres uniformados llegaron al amanecer y se llevaron a dos jóvenes sin explicación.",
        "Texto de demostración sintético. Los soldados registraron todas las casas de la calle y rompieron las puertas.",
        "Texto de demostración sintético. En el retén cobraban dinero a los conductores y amenazaban a quien se negaba.",
        "Texto de demostración sintético. Detuvieron nuestras lanchas en el mar y tiraron la pesca.",
        "Texto de demostración sintético. Golpearon a mi hermano delante de los niños y dijeron que volverían.",
        "Texto de demostración sintético. Después del operativo las familias dejaron el pueblo; quemaron los cultivos.",
    ],
    "fr": [
        "Texte de démonstration synthétique. Des hommes en uniforme sont venus à l'aube et ont emmené deux jeunes.",
        "Texte de démonstration synthétique. Les soldats ont fouillé toutes les maisons de la rue et cassé les portes.",
        "Texte de démonstration synthétique. Au barrage, ils prenaient de l'argent aux chauffeurs et menaçaient les autres.",
        "Texte de démonstration synthétique. Nos bateaux ont été arrêtés en mer et la pêche jetée.",
    ],
    "ar": [
        "نص تجريبي اصطناعي. جاء رجال بالزي الرسمي عند الفجر واقتادوا شابين دون أي تفسير.",
        "نص تجريبي اصطناعي. فتش الجنود كل البيوت في شارعنا وكسروا الأبواب.",
        "نص تجريبي اصطناعي. عند الحاجز أخذوا المال من السائقين وهددوا من رفض.",
        "نص تجريبي اصطناعي. أوقفوا قواربنا في البحر ورموا الصيد.",
    ],
}
PLACES = {
    "en": ["Near the market", "On the road to the river", "At the checkpoint by the bridge", "In the harbour"],
    "es": ["Cerca del mercado", "En el camino al río", "En el retén del puente", "En el puerto"],
    "fr": ["Près du marché", "Sur la route du fleuve", "Au barrage du pont", "Au port"],
    "ar": ["قرب السوق", "على الطريق إلى النهر", "عند الحاجز قرب الجسر", "في الميناء"],
}
OFFICER_MESSAGES = {
    "en": "Thank you for your report. Could you tell us roughly what time it happened?",
    "es": "Gracias por su informe. ¿Podría decirnos aproximadamente a qué hora ocurrió?",
    "fr": "Merci pour votre signalement. Pouvez-vous nous dire à peu près à quelle heure c'est arrivé ?",
    "ar": "شكرًا على بلاغك. هل يمكنك أن تخبرنا تقريبًا في أي ساعة حدث ذلك؟",
}
REPORTER_MESSAGES = {
    "en": "It was early in the morning, before six.",
    "es": "Fue temprano en la mañana, antes de las seis.",
    "fr": "C'était tôt le matin, avant six heures.",
    "ar": "كان ذلك في الصباح الباكر، قبل السادسة.",
}


# ---------------------------------------------------------------------------


class _Chooser:
    """Weighted choice with precomputed cumulative weights (fast for 1M draws)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect(self.cum, rng.random() * self.total)]


# Case states reached by cases that have been triaged, by kind of case.
STATES_CRITICAL = _Chooser(*zip(*{"escalated": 40, "investigating": 25, "resolved": 20, "closed": 10,
                                  "referred": 5}.items(), strict=False))
STATES_RECENT = _Chooser(*zip(*{"triaged": 45, "investigating": 30, "awaiting_info": 8, "escalated": 5,
                                "rejected": 7, "referred": 5}.items(), strict=False))
STATES_OLDER = _Chooser(*zip(*{"triaged": 35, "investigating": 20, "escalated": 8, "awaiting_info": 4,
                               "referred": 3, "resolved": 19, "closed": 7, "rejected": 4}.items(), strict=False))
VERIFICATION_OPEN = _Chooser(("plausible", "credible", "unverified", "contested"), (40, 30, 20, 10))
PREFER_NOT_TO_SAY = 0.06
ANSWER_SPREAD = 0.9


@lru_cache(maxsize=4096)
def _answers_for(mean_centi: int) -> _Chooser:
    """A 1–5 answer drawn as round(Normal(mean, 0.9)) clipped to the scale,
    or None ("prefer not to say") 6 % of the time, as one weighted choice."""
    mean = mean_centi / 100

    def cdf(x: float) -> float:
        return 0.5 * (1 + math.erf((x - mean) / (ANSWER_SPREAD * math.sqrt(2))))

    weights = [PREFER_NOT_TO_SAY]
    for k in range(1, 6):
        low = cdf(k - 0.5) if k > 1 else 0.0
        high = cdf(k + 0.5) if k < 5 else 1.0
        weights.append((1 - PREFER_NOT_TO_SAY) * (high - low))
    return _Chooser((None, 1, 2, 3, 4, 5), weights)


def _answers(mean: float) -> _Chooser:
    return _answers_for(round(mean * 100))


@dataclass
class _District:
    id: int
    pcode: str
    province: str
    maritime: bool
    ancestors: frozenset[int]
    forces: _Chooser | None = None


@dataclass
class _World:
    """A plain snapshot of the reference data the generator draws from."""

    districts: list[_District]
    district_chooser: _Chooser
    by_pcode: dict[str, _District]
    forces: dict[str, int]
    units: dict[tuple[str, str], int]
    operations: list[tuple[int, int | None, int | None, date | None, date | None]]
    routes: dict[tuple[int | None, int], int | None] = field(default_factory=dict)
    organisation: tuple[int, int | None] | None = None  # (org id, partner user id)
    officers: dict[int, list[int]] = field(default_factory=dict)  # body id → officer/supervisor ids


def _load_world() -> _World:
    from tracker.reference.models import Force, Operation, Region, Unit

    regions = {r.id: r for r in db.session.scalars(sa.select(Region).order_by(Region.id))}
    if not regions:
        raise RuntimeError("No regions: load the reference data first.")
    forces = {f.code: f.id for f in db.session.scalars(sa.select(Force).order_by(Force.id))}
    force_code_by_id = {v: k for k, v in forces.items()}
    units = {(force_code_by_id[u.force_id], u.code): u.id for u in db.session.scalars(sa.select(Unit).order_by(Unit.id))}

    districts = []
    max_level = max(r.level for r in regions.values())
    for region in sorted(regions.values(), key=lambda r: r.pcode):
        if region.level != max_level:
            continue
        ancestors = {a.id for a in region.ancestors()} | {region.id}
        province = region.at_level(1).pcode if region.level >= 1 else region.pcode
        districts.append(_District(region.id, region.pcode, province, region.kind == "maritime", frozenset(ancestors)))
    counts: dict[str, int] = {}
    for d in districts:
        counts[d.province] = counts.get(d.province, 0) + 1
    weights = [PROVINCE_WEIGHTS.get(d.province, 1.0) / counts[d.province] for d in districts]

    default_mix = [(code, None, 1) for code in forces]
    for d in districts:
        mix = MARITIME_FORCE_MIX if d.maritime else FORCE_MIX.get(d.province, default_mix)
        mix = [(f, u, w) for f, u, w in mix if f in forces and (u is None or (f, u) in units)] or default_mix
        d.forces = _Chooser([(f, u) for f, u, _ in mix], [w for *_, w in mix]) if mix else None

    operations = []
    for op in db.session.scalars(sa.select(Operation).order_by(Operation.id)):
        operations.append((op.id, op.force_id, op.region_id, op.starts_on, op.ends_on))

    world = _World(districts, _Chooser(districts, weights), {d.pcode: d for d in districts}, forces, units, operations)
    world.organisation = _partner_organisation()
    world.officers = _officers()
    return world


def _officers() -> dict[int, list[int]]:
    """Officers and supervisors per body (the demo logins), to assign cases to."""
    from tracker.accounts.models import User

    out: dict[int, list[int]] = {}
    rows = db.session.execute(
        sa.select(User.body_id, User.id).where(User.role.in_(("officer", "supervisor")), User.body_id.is_not(None))
        .order_by(User.id)
    )
    for body_id, user_id in rows:
        out.setdefault(body_id, []).append(user_id)
    return out


def _partner_organisation() -> tuple[int, int | None] | None:
    """The first partner organisation (and one of its users), if demo users exist."""
    from tracker.accounts.models import Organisation, User

    org = db.session.scalar(sa.select(Organisation).order_by(Organisation.id).limit(1))
    if org is None:
        return None
    user_id = db.session.scalar(
        sa.select(User.id).where(User.organisation_id == org.id, User.role == "partner").order_by(User.id).limit(1)
    )
    return org.id, user_id


def _route(world: _World, force_id: int | None, district: _District) -> int | None:
    """The oversight body for (force, region) by the routing rules, cached."""
    key = (force_id, district.id)
    try:
        return world.routes[key]
    except KeyError:
        from tracker.reference.routing import route

        body = route(force_id, district.id)
        world.routes[key] = body.id if body is not None else None
        return world.routes[key]


def _precompute_routes(world: _World) -> None:
    """Route every (force or none, district) pair now, so that generating rows
    needs no database (the producer process must not touch it)."""
    for district in world.districts:
        for force_id in [None, *world.forces.values()]:
            _route(world, force_id, district)


def _severity_function():
    from tracker.intake.severity import compute_severity

    cache: dict[tuple, str] = {}

    def severity(categories: list[str], harm: dict, victims: dict) -> str:
        key = (tuple(categories), tuple(harm.values()), tuple(victims.values()))
        found = cache.get(key)
        if found is None:
            found = cache[key] = compute_severity(categories, harm, victims)
        return found

    return severity


class _Writer:
    """Turns row dicts of one table into executemany parameters (``prepare``,
    pure Python: it may run in the producer process) and writes them
    (``_execute``, in the process that owns the database session).

    On SQLite the rows go straight to the DB-API cursor with values already
    in SQLAlchemy's storage format (ISO dates, JSON text, 0/1): SQLAlchemy's
    per-row parameter processing costs more than SQLite's own insert. Other
    databases (PostgreSQL) get a Core ``INSERT`` executemany of the dicts.
    """

    def __init__(self, key: str, table: sa.Table, sample: dict, *, raw: bool, quote: Callable[[str], str]):
        self.key = key
        self.raw = raw
        self.columns = [c for c in table.c if c.name in sample]
        missing = [c for c in table.c if c.name not in sample]
        for column in missing:
            default = column.default
            if default is not None and not default.is_scalar:
                self.raw = False  # a callable default: let SQLAlchemy apply it
        constants = [c for c in missing if c.default is not None]
        if self.raw:
            names = [c.name for c in self.columns] + [c.name for c in constants]
            self.sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
                        f"VALUES ({', '.join('?' for _ in names)})")
            self.keys = [c.name for c in self.columns]
            self.convert = [(i, _sqlite_converter(c.type)) for i, c in enumerate(self.columns)]
            self.convert = [(i, f) for i, f in self.convert if f is not None]
            self.extra = tuple(_sqlite_value(c.type, c.default.arg) for c in constants)

    def prepare(self, rows: list[dict]) -> tuple[str, str | None, list]:
        """(table key, SQL or None for a Core insert, parameters)."""
        if not self.raw:
            return self.key, None, rows
        keys, convert, extra = self.keys, self.convert, self.extra
        params = []
        for row in rows:
            values = [row[k] for k in keys]
            for i, f in convert:
                if values[i] is not None:
                    values[i] = f(values[i])
            params.append(tuple(values) + extra)
        return self.key, self.sql, params


def _execute(tables: dict[str, sa.Table], item: tuple[str, str | None, list]) -> None:
    key, sql, params = item
    if not params:
        return
    if sql is None:
        db.session.execute(tables[key].insert(), params)
        return
    cursor = db.session.connection().connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, params)
    finally:
        cursor.close()


def _sqlite_converter(type_):
    if isinstance(type_, sa.DateTime):
        return lambda v: v.isoformat(sep=" ", timespec="microseconds")
    if isinstance(type_, sa.Date):
        return date.isoformat
    if isinstance(type_, sa.JSON):
        return lambda v: json.dumps(v)
    if isinstance(type_, sa.Boolean):
        return int
    return None


def _sqlite_value(type_, value):
    f = _sqlite_converter(type_)
    return f(value) if f is not None and value is not None else value


def _next_id(table: sa.Table) -> int:
    return (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def _tables():
    from tracker.cases.models import Case, CaseSearchToken
    from tracker.intake.models import Message, PulseResponse, Report, ReportCategory

    return {
        "case": Case.__table__,
        "report": Report.__table__,
        "report_category": ReportCategory.__table__,
        "case_search_token": CaseSearchToken.__table__,
        "message": Message.__table__,
        "pulse_response": PulseResponse.__table__,
    }


@dataclass
class GenerateResult:
    reports: int = 0
    pulses: int = 0
    messages: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    severities: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)


def _search_hashes(text: str, language: str | None = None) -> list[str]:
    from tracker.cases.search import token_hashes

    return token_hashes(text, language)


class _Pools:
    """Pre-encrypted texts reused across rows (see the module docstring)."""

    def __init__(self, rng: random.Random):
        # (ciphertext, search-index token hashes) per narrative.
        self.narratives = {
            lang: [(encrypt_text(t), _search_hashes(t, lang)) for t in texts] for lang, texts in NARRATIVES.items()
        }
        self.places = {lang: [encrypt_text(t) for t in texts] for lang, texts in PLACES.items()}
        self.officer = {lang: encrypt_text(t) for lang, t in OFFICER_MESSAGES.items()}
        self.reporter = {lang: encrypt_text(t) for lang, t in REPORTER_MESSAGES.items()}
        names = ["Ana", "Luis", "Fatima", "Omar", "Marie", "Jean", "Rosa", "Samir"]
        self.contacts = [
            encrypt_json({"name": name, "phone": f"+000 555 {rng.randrange(1000, 9999)}",
                          "safe_times": "after 6 pm"})
            for name in names
        ]


class _Generator:
    def __init__(self, rng: random.Random, world: _World, today: date, severity, pools: _Pools, seed: int):
        self.rng, self.world, self.today, self.severity, self.pools = rng, world, today, severity, pools
        self.seed = seed
        self.now = datetime.combine(today, time(0, 0))
        # Read here, in the main process: the forked producer has no database.
        self.deadlines = {sev: triage_deadline(sev) for sev in SEVERITY_ORDER}
        self.languages = _Chooser(LANGUAGE_WEIGHTS, LANGUAGE_WEIGHTS.values())
        self.relationships = _Chooser(RELATIONSHIP_WEIGHTS, RELATIONSHIP_WEIGHTS.values())
        self.land_categories = _Chooser(CATEGORY_WEIGHTS, CATEGORY_WEIGHTS.values())
        self.sea_categories = _Chooser(MARITIME_CATEGORY_WEIGHTS, MARITIME_CATEGORY_WEIGHTS.values())
        self.outcomes = _Chooser(OUTCOME_WEIGHTS, OUTCOME_WEIGHTS.values())
        self.spike_district = world.by_pcode.get(SPIKE["region"])
        self.spike_ok = (
            self.spike_district is not None and (SPIKE["force"], SPIKE["unit"]) in world.units
        )

    # -- one incident --------------------------------------------------------

    def _days_ago(self) -> int:
        """1..365 days before today, slightly more recent than old."""
        rng = self.rng
        while True:
            d = rng.randrange(1, DAYS + 1)
            if rng.random() < 1.2 - 0.4 * d / DAYS:
                return d

    def _categories(self, maritime: bool, spike: bool) -> list[str]:
        rng = self.rng
        first = rng.choice(SPIKE["categories"]) if spike else (self.sea_categories if maritime else self.land_categories).pick(rng)
        cats = [first]
        companions = COMPANIONS.get(first)
        if companions and rng.random() < 0.4:
            cats.append(rng.choice(companions))
            more = COMPANIONS.get(cats[-1])
            if more and rng.random() < 0.3:
                cats.append(rng.choice(more))
        return sorted(set(cats))

    def _harm(self, cats: list[str]) -> dict:
        rng = self.rng
        s = set(cats)
        killed = injured = detained = missing = displaced = 0
        if "killing" in s:
            killed = 1 + (rng.random() < 0.3) + (rng.random() < 0.1) * rng.randrange(1, 5)
        if "explosive_weapons" in s:
            injured += rng.randrange(1, 10)
            killed += (rng.random() < 0.3) * rng.randrange(1, 4)
        if s & {"attempted_killing", "assault", "torture", "sexual_violence", "detainee_abuse"}:
            injured += 1 + (rng.random() < 0.35) * rng.randrange(1, 4)
        if "arbitrary_detention" in s:
            detained += 1 + (rng.random() < 0.4) * rng.randrange(1, 4)
        if "mass_roundup" in s:
            detained += rng.randrange(5, 60)
        if "disappearance" in s:
            missing = 1 + (rng.random() < 0.2)
        if s & {"displacement", "collective_punishment"} and rng.random() < 0.8:
            displaced = rng.randrange(1, 40)
        property_damaged = bool(s & {"property_destruction", "looting_extortion", "explosive_weapons", "land_seizure"})
        return {"killed": killed, "injured": injured, "detained": detained, "missing": missing,
                "displaced_households": displaced, "property_damaged": property_damaged}

    def _victims(self, cats: list[str]) -> dict:
        r = self.rng.random
        s = set(cats)
        return {
            "children": r() < (0.35 if s & {"displacement", "mass_roundup", "collective_punishment"} else 0.12),
            "women": r() < (0.9 if "sexual_violence" in s else 0.35),
            "elderly": r() < 0.15,
            "disability": r() < 0.05,
        }

    def _operation(self, force_id: int | None, district: _District, occurred: date) -> int | None:
        for op_id, op_force, op_region, starts, ends in self.world.operations:
            if op_force is not None and op_force != force_id:
                continue
            if op_region is not None and op_region not in district.ancestors:
                continue
            if (starts and occurred < starts) or (ends and occurred > ends):
                continue
            if self.rng.random() < 0.7:
                return op_id
        return None

    def _case_progress(self, severity: str, created_at: datetime) -> dict:
        """A state and timestamps consistent with the case's age and severity."""
        rng = self.rng
        deadline = self.deadlines[severity]
        age_days = (self.now - created_at).total_seconds() / 86400
        out = {"state": "new", "triage_due_at": created_at + deadline, "triaged_at": None,
               "escalated_at": None, "resolved_at": None, "outcome": None, "referred_to": None}
        if escalates_on_intake(severity):
            out["escalated_at"] = created_at
            out["state"] = "escalated"
        r = rng.random()
        if age_days < 3:
            progressed = r < 0.25
        elif age_days < 30:
            progressed = r < 0.75
        else:
            progressed = r < 0.93
        if not progressed:
            return out
        late = rng.random() < 0.15
        hours = deadline.total_seconds() / 3600 * (rng.uniform(1.0, 2.5) if late else rng.uniform(0.05, 1.0))
        triaged_at = created_at + timedelta(hours=hours)
        if triaged_at >= self.now:
            return out
        out["triaged_at"] = triaged_at
        if severity == "critical":
            state = STATES_CRITICAL.pick(rng)
        elif age_days < 30:
            state = STATES_RECENT.pick(rng)
        else:
            state = STATES_OLDER.pick(rng)
        if state in STATES_WITH_OUTCOME:
            resolved_at = triaged_at + timedelta(days=rng.uniform(5, 120))
            if resolved_at >= self.now:
                state = "investigating"
            else:
                out["resolved_at"] = resolved_at
                out["outcome"] = self.outcomes.pick(rng)
        if state == "escalated" and out["escalated_at"] is None:
            out["escalated_at"] = triaged_at + timedelta(hours=rng.uniform(1, 72))
            if out["escalated_at"] >= self.now:
                out["escalated_at"], state = None, "triaged"
        if state == "referred":
            out["referred_to"] = rng.choice(REFERRED_TO)
        out["state"] = state
        return out

    def _verification(self, state: str, outcome: str | None) -> str:
        rng = self.rng
        if state == "new":
            return "unverified"
        if outcome == "substantiated":
            return rng.choice(("confirmed", "credible"))
        if outcome == "partly_substantiated":
            return rng.choice(("credible", "plausible"))
        if outcome == "not_substantiated":
            return rng.choice(("discounted", "discounted", "contested"))
        if outcome == "unable_to_determine":
            return rng.choice(("unverified", "plausible", "contested"))
        if state == "rejected":
            return rng.choice(("discounted", "unverified"))
        if state == "triaged":
            return rng.choice(("unverified", "unverified", "plausible"))
        return VERIFICATION_OPEN.pick(rng)

    def _pulse(self, province: str, month: date, penalty: float) -> dict:
        rng = self.rng
        months_ago = (self.today.year - month.year) * 12 + self.today.month - month.month
        drift = TRUST_DRIFT.get(province, 0.0) * (1 - months_ago / 12)
        mean = TRUST_BASE.get(province, 3.3) + drift - penalty
        return {item: _answers(mean + PULSE_ITEM_OFFSET[item]).pick(rng) for item in PULSE_ITEMS}

    # -- rows --------------------------------------------------------------

    def report_rows(self, index: int, case_id: int, report_id: int, out: dict, result: GenerateResult) -> None:
        rng, world = self.rng, self.world
        spike = self.spike_ok and rng.random() < SPIKE["share"]
        if spike:
            district = self.spike_district
            force_code, unit_code = SPIKE["force"], SPIKE["unit"]
            days_ago = rng.randrange(1, SPIKE["days"] + 1)
        else:
            district = world.district_chooser.pick(rng)
            force_code, unit_code = district.forces.pick(rng) if district.forces else (None, None)
            days_ago = self._days_ago()
        force_id = world.forces.get(force_code) if force_code else None
        unit_id = world.units.get((force_code, unit_code)) if unit_code else None
        occurred = self.today - timedelta(days=days_ago)
        precision = "day" if rng.random() < 0.8 else "month"
        if precision == "month":
            if occurred.replace(day=1) < self.today - timedelta(days=DAYS):
                precision = "day"  # its month starts before the 12-month window
            else:
                occurred = occurred.replace(day=1)
        delay = min(rng.expovariate(1 / 3.0), days_ago - 1 + rng.random())
        created_at = datetime.combine(self.today - timedelta(days=days_ago), time(0, 0)) + timedelta(
            days=delay, seconds=rng.randrange(6 * 3600, 22 * 3600))
        if created_at >= self.now:
            created_at = self.now - timedelta(minutes=rng.randrange(1, 600))

        cats = self._categories(district.maritime, spike)
        harm = self._harm(cats)
        victims = self._victims(cats)
        severity = self.severity(cats, harm, victims)
        language = self.languages.pick(rng)
        relationship = self.relationships.pick(rng)
        needs = []
        if harm["injured"] or harm["killed"] or rng.random() < 0.05:
            needs.append("medical")
        if (harm["detained"] or harm["missing"] or rng.random() < 0.1) and rng.random() < 0.7:
            needs.append("legal")
        if harm["displaced_households"] or (harm["property_damaged"] and rng.random() < 0.3):
            needs.append("shelter")
        if rng.random() < 0.25:
            needs.append("psychosocial")
        consent_contact = rng.random() < 0.45
        filed_by_org = filed_by_user = None
        if world.organisation and rng.random() < 0.08:
            filed_by_org, filed_by_user = world.organisation
            relationship = "organisation"

        progress = self._case_progress(severity, created_at)
        state = progress["state"]
        updated_at = max(t for t in (created_at, progress["triaged_at"], progress["escalated_at"],
                                     progress["resolved_at"]) if t is not None)
        body_id = _route(world, force_id, district)
        staff = world.officers.get(body_id)
        assigned = rng.choice(staff) if staff and state != "new" and rng.random() < 0.7 else None
        out["case"].append({
            "id": case_id, "ref": case_ref(case_id, created_at), "state": state, "severity": severity,
            "severity_rank": SEVERITY_ORDER[severity], "severity_overridden": False,
            "verification": self._verification(state, progress["outcome"]), "outcome": progress["outcome"],
            "body_id": body_id, "assigned_to_id": assigned, "region_id": district.id, "force_id": force_id,
            "occurred_on": occurred, "created_at": created_at, "updated_at": updated_at,
            "triage_due_at": progress["triage_due_at"], "triaged_at": progress["triaged_at"],
            "escalated_at": progress["escalated_at"], "resolved_at": progress["resolved_at"],
            "has_news": False, "merged_into_id": None, "referred_to": progress["referred_to"],
            "paused_from": ("investigating" if state == "awaiting_info" else None),
            "escalation_proposed_at": None,
            # Already notified: the demo must not mail supervisors about old cases.
            "escalation_notified_at": progress["escalated_at"],
        })
        narrative = None
        if rng.random() < NARRATIVE_SHARE:
            narrative, hashes = rng.choice(self.pools.narratives[language])
            out["case_search_token"].extend(
                {"report_id": report_id, "token_hash": h, "case_id": case_id} for h in hashes
            )
        place = rng.choice(self.pools.places[language]) if rng.random() < 0.3 else None
        unit_description = None
        contact = rng.choice(self.pools.contacts) if consent_contact and rng.random() < 0.6 else None
        out["report"].append({
            "id": report_id, "case_id": case_id,
            "receipt_hash": hashlib.sha256(f"synthetic:{self.seed}:{report_id}:{index}".encode()).hexdigest(),
            "created_at": created_at, "language": language, "occurred_on": occurred,
            "occurred_precision": precision,
            "part_of_day": rng.choice(PARTS_OF_DAY) if rng.random() < 0.6 else None,
            "region_id": district.id, "place_description_enc": place, "latitude": None, "longitude": None,
            "force_id": force_id, "unit_id": unit_id, "unit_description_enc": unit_description,
            "operation_id": self._operation(force_id, district, occurred), "narrative_enc": narrative,
            "killed": harm["killed"], "injured": harm["injured"], "detained": harm["detained"],
            "missing": harm["missing"], "displaced_households": harm["displaced_households"],
            "property_damaged": harm["property_damaged"],
            "victims_children": victims["children"], "victims_women": victims["women"],
            "victims_elderly": victims["elderly"], "victims_disability": victims["disability"],
            "relationship_to_incident": relationship, "needs": needs,
            "consent_contact": consent_contact, "consent_statistics": rng.random() < 0.95,
            "consent_referral": rng.random() < 0.35, "contact_enc": contact,
            "severity": severity, "filed_by_org_id": filed_by_org, "filed_by_user_id": filed_by_user,
            "has_news": False,
        })
        for cat in cats:
            out["report_category"].append({"report_id": report_id, "category": cat})
            result.categories[cat] = result.categories.get(cat, 0) + 1
        result.severities[severity] = result.severities.get(severity, 0) + 1
        result.states[state] = result.states.get(state, 0) + 1

        if state == "awaiting_info" or (state == "investigating" and rng.random() < 0.2):
            sent = progress["triaged_at"] + timedelta(hours=rng.uniform(1, 48))
            if sent < self.now:
                out["message"].append({"report_id": report_id, "sender": "officer", "author_user_id": None,
                                       "body_enc": self.pools.officer[language], "created_at": sent})
                reply = sent + timedelta(hours=rng.uniform(2, 96))
                if state == "investigating" and reply < self.now:
                    out["message"].append({"report_id": report_id, "sender": "reporter", "author_user_id": None,
                                           "body_enc": self.pools.reporter[language], "created_at": reply})
                else:
                    out["report"][-1]["has_news"] = True

        if rng.random() < 0.6:
            month = created_at.date().replace(day=1)
            answers = self._pulse(district.province, month, SEVERITY_TRUST_PENALTY.get(severity, 0.0))
            out["pulse_response"].append({"region_id": district.id, "force_id": force_id, "month": month,
                                          "source": "report", "language": language, **answers})

    def standalone_pulse(self) -> dict:
        rng = self.rng
        district = self.world.district_chooser.pick(rng)
        day = self.today - timedelta(days=rng.randrange(1, DAYS + 1))
        month = day.replace(day=1)
        force_code, _unit = district.forces.pick(rng) if district.forces and rng.random() < 0.5 else (None, None)
        return {"region_id": district.id, "force_id": self.world.forces.get(force_code) if force_code else None,
                "month": month, "source": "standalone", "language": self.languages.pick(rng),
                **self._pulse(district.province, month, 0.0)}


def _fix_sequences(tables) -> None:
    """Explicit ids bypass PostgreSQL sequences: move each past its max id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        name = table.name.replace('"', "")
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"
        ))


def _batches(gen: _Generator, tables: dict[str, sa.Table], n_reports: int, standalone_pulses: int,
             batch_size: int, first_ids: tuple[int, int], raw: bool, quote: Callable[[str], str],
             result: GenerateResult):
    """Yield (reports in this batch, [prepared inserts in FK order]). Touches
    no database, so it can run in a separate producer process."""
    writers: dict[str, _Writer] = {}
    next_case, next_report = first_ids

    def prepared(key: str, rows: list[dict]):
        if key not in writers:
            writers[key] = _Writer(key, tables[key], rows[0], raw=raw, quote=quote)
        return writers[key].prepare(rows)

    done = 0
    while done < n_reports:
        size = min(batch_size, n_reports - done)
        out: dict[str, list] = {key: [] for key in tables}
        for i in range(done, done + size):
            gen.report_rows(i, next_case + i, next_report + i, out, result)
        result.reports += size
        result.messages += len(out["message"])
        result.pulses += len(out["pulse_response"])
        done += size
        # Parents first: ``tables`` is in foreign-key order.
        yield size, [prepared(key, rows) for key, rows in out.items() if rows]
    done = 0
    while done < standalone_pulses:
        size = min(batch_size * 4, standalone_pulses - done)
        rows = [gen.standalone_pulse() for _ in range(size)]
        result.pulses += size
        done += size
        yield 0, [prepared("pulse_response", rows)]


def _produce(queue, make_batches) -> None:  # pragma: no cover - runs in the forked producer
    try:
        result = GenerateResult()
        for batch in make_batches(result):
            queue.put(("batch", batch))
        queue.put(("done", result))
    except BaseException:  # noqa: BLE001 - report anything to the parent
        import traceback

        queue.put(("error", traceback.format_exc()))


def _from_producer(make_batches):
    """Run ``make_batches`` in a forked process and yield its batches, so that
    generating rows (one core) overlaps with writing them (the other)."""
    import multiprocessing
    import queue as queue_module

    ctx = multiprocessing.get_context("fork")
    channel = ctx.Queue(maxsize=3)
    producer = ctx.Process(target=_produce, args=(channel, make_batches), daemon=True)
    producer.start()
    try:
        while True:
            try:
                kind, payload = channel.get(timeout=5)
            except queue_module.Empty:
                if not producer.is_alive():
                    raise RuntimeError("the synthetic-data producer stopped unexpectedly") from None
                continue
            if kind == "batch":
                yield payload
            elif kind == "done":
                return payload
            else:
                raise RuntimeError("the synthetic-data producer failed:\n" + payload)
    finally:
        producer.join(timeout=10)
        if producer.is_alive():  # pragma: no cover
            producer.terminate()


PARALLEL_FROM = 50_000


def generate(
    n_reports: int,
    seed: int = 1,
    *,
    today: date | None = None,
    standalone_pulses: int | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    parallel: bool | None = None,
) -> GenerateResult:
    """Add ``n_reports`` synthetic reports (one case each) and
    ``standalone_pulses`` pulse responses (default: as many as reports).

    Deterministic for a given ``seed`` and ``today``; ``progress(k)`` is called
    after each batch with the number of reports just written. The caller
    commits (each batch is flushed, not committed).

    ``parallel`` (default: from PARALLEL_FROM reports up, where ``fork`` is
    available) builds the rows in a forked producer process while this one
    writes them. The rows are the same either way: one producer draws from
    one random stream in the same order.
    """
    import multiprocessing

    today = today or utcnow().date()
    if standalone_pulses is None:
        standalone_pulses = n_reports
    rng = random.Random(seed)
    world = _load_world()
    gen = _Generator(rng, world, today, _severity_function(), _Pools(rng), seed)
    _precompute_routes(world)
    tables = _tables()
    dialect = db.session.get_bind().dialect
    if dialect.name == "sqlite":
        # A larger page cache keeps the indexes in memory while a million rows go in.
        db.session.execute(sa.text("PRAGMA cache_size = -262144"))
    first_ids = (_next_id(tables["case"]), _next_id(tables["report"]))
    raw, quote = dialect.name == "sqlite", dialect.identifier_preparer.quote

    def make_batches(result: GenerateResult):
        return _batches(gen, tables, n_reports, standalone_pulses, batch_size, first_ids, raw, quote, result)

    if parallel is None:
        parallel = n_reports >= PARALLEL_FROM
    parallel = parallel and "fork" in multiprocessing.get_all_start_methods()
    if parallel:
        db.session.flush()
        batches = _from_producer(make_batches)
        result = None
    else:
        result = GenerateResult()
        batches = make_batches(result)
    while True:
        try:
            size, items = next(batches)
        except StopIteration as stop:
            result = result if result is not None else stop.value
            break
        for item in items:
            _execute(tables, item)
        if progress and size:
            progress(size)
    _fix_sequences(tables.values())
    db.session.flush()
    return result
