"""Full-text search over narratives without keeping them in clear.

Each report's narrative, place description and the reporter's follow-up
messages are cut into normalised words (lowercase, accents folded, basic
Arabic normalisation); each word is stored only as ``keyed_hash(word,
"search")``, together with its Snowball stem in the report's language, so
"soldado" finds "soldados". The stem is taken before the keyed hash: nothing
readable is stored. A query word matches its own form or its stem in any
shipped language (the narrative may not be in the language of the form). A
search matches the cases holding every word of the query. Without the
server pepper the index says nothing.
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata

import snowballstemmer
import sqlalchemy as sa

from tracker.cases.models import CaseSearchToken
from tracker.core.crypto import keyed_hash
from tracker.extensions import db

MAX_TOKENS_PER_REPORT = 2000
MAX_QUERY_TOKENS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": None,  # tatweel
    }
)


def normalise(text: str | None) -> str:
    """Lowercase, fold accents and Arabic diacritics/letter variants."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ARABIC)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def tokens(text: str | None) -> list[str]:
    """Distinct normalised words of two characters or more (digits count),
    in order of first appearance."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(normalise(text)):
        word = word.strip("_")
        if len(word) >= 2 and word not in seen:
            seen[word] = None
            if len(seen) >= MAX_TOKENS_PER_REPORT:
                break
    return list(seen)


#: Snowball stemmers by language code (Filipino has none: words are kept whole).
_STEMMER_NAMES = {"en": "english", "es": "spanish", "fr": "french", "ar": "arabic", "pt": "portuguese",
                  "pt_BR": "portuguese"}
_stemmers: dict[str, object] = {}


def stem(word: str, language: str | None) -> str:
    """The Snowball stem of a normalised word in ``language`` (the word
    itself when the language has no stemmer)."""
    name = _STEMMER_NAMES.get(language or "")
    if name is None:
        return word
    return _stem(word, name)


@functools.lru_cache(maxsize=50_000)
def _stem(word: str, name: str) -> str:
    # The pure-Python stemmer is the slowest step of indexing a report, and
    # the words of reports repeat: remember the stems (a pure function).
    if name not in _stemmers:
        _stemmers[name] = snowballstemmer.stemmer(name)
    return _stemmers[name].stemWord(word)


def index_forms(text: str | None, language: str | None) -> list[str]:
    """What is indexed for ``text``: each word and its stem, distinct."""
    seen: dict[str, None] = {}
    for word in tokens(text):
        seen[word] = None
        seen[stem(word, language)] = None
    return list(seen)


def token_hashes(text: str | None, language: str | None = None) -> list[str]:
    return [keyed_hash(t, "search") for t in index_forms(text, language)]


def query_forms(word: str) -> list[str]:
    """A query word's candidate forms: itself and its stem in every language."""
    return list(dict.fromkeys([word, *(stem(word, lang) for lang in _STEMMER_NAMES)]))


def _report_text(report, with_messages: bool = True) -> str:
    parts = [report.narrative or "", report.place_description or ""]
    if with_messages:
        parts += [m.body or "" for m in report.messages if m.sender == "reporter"]
    return "\n".join(parts)


def index_report(report, *, fresh: bool = False) -> int:
    """(Re)write the index rows of one report under its case: narrative,
    place description and the reporter's messages. ``fresh``: the report was
    created in this transaction, so it has no rows to remove and no messages
    yet (intake skips those two queries). Flushes."""
    if not fresh:
        db.session.execute(sa.delete(CaseSearchToken).where(CaseSearchToken.report_id == report.id))
    if report.case_id is None:
        return 0
    hashes = token_hashes(_report_text(report, with_messages=not fresh), report.language)[:MAX_TOKENS_PER_REPORT]
    if hashes:
        _insert_tokens(report.id, report.case_id, hashes)
    return len(hashes)


#: One statement for all of a report's words, whatever their number, where
#: the database can take a list as one parameter: a driver's executemany
#: sends one INSERT per word (tens per report, on every submission).
_INSERT_TOKENS = {
    "postgresql": sa.text(
        "INSERT INTO case_search_token (report_id, token_hash, case_id) "
        "SELECT :report_id, t, :case_id FROM unnest(CAST(:hashes AS varchar[])) AS t"
    ),
    "sqlite": sa.text(
        "INSERT INTO case_search_token (report_id, token_hash, case_id) "
        "SELECT :report_id, value, :case_id FROM json_each(:hashes)"
    ),
}


def _insert_tokens(report_id: int, case_id: int, hashes: list[str]) -> None:
    dialect = db.session.get_bind().dialect.name
    stmt = _INSERT_TOKENS.get(dialect)
    if stmt is None:
        db.session.execute(sa.insert(CaseSearchToken),
                           [{"report_id": report_id, "token_hash": h, "case_id": case_id} for h in hashes])
        return
    value = hashes if dialect == "postgresql" else json.dumps(hashes)
    db.session.execute(stmt, {"report_id": report_id, "case_id": case_id, "hashes": value})


def index_reporter_message(sender, report, message) -> None:
    """Answer intake's ``reporter_message_added``: the case finds the new words."""
    index_report(report)


SELECTIVE = 5000  # below this many cases, the rarest word drives the query


def search_clause(query: str | None, case_id_column) -> tuple:
    """``(clause, selective)``: a WHERE clause saying the case holds every
    word of ``query`` (None when the query has no word), and whether it
    starts from a short list of case ids (see below).

    A rare word (a name, a village) should not make the queue walk every
    case of the body checking for it: when the rarest word of the query is
    in at most SELECTIVE cases, those case ids are fetched first (one index
    range) and the queue is filtered to them."""
    words = tokens(query)[:MAX_QUERY_TOKENS]
    if not words:
        return None, False
    # One entry per query word: the hashes of its forms (any may match).
    groups = [tuple(keyed_hash(form, "search") for form in query_forms(word)) for word in words]
    counts = {}
    for g in groups:
        sample = sa.select(CaseSearchToken.case_id).where(CaseSearchToken.token_hash.in_(g)).limit(SELECTIVE + 1)
        counts[g] = db.session.scalar(sa.select(sa.func.count()).select_from(sample.subquery())) or 0
    rarest = min(groups, key=lambda g: counts[g])
    if counts[rarest] == 0:
        return sa.false(), True
    clauses = [
        sa.exists().where(CaseSearchToken.token_hash.in_(g), CaseSearchToken.case_id == case_id_column)
        for g in groups
        if g != rarest or counts[rarest] > SELECTIVE
    ]
    if counts[rarest] <= SELECTIVE:
        ids = db.session.scalars(
            sa.select(CaseSearchToken.case_id).where(CaseSearchToken.token_hash.in_(rarest)).distinct()
        ).all()
        clauses.insert(0, case_id_column.in_(sorted(ids)))
    return sa.and_(*clauses), counts[rarest] <= SELECTIVE


def similar_cases(case_id: int, limit: int = 50) -> dict[int, int]:
    """Other cases sharing words with ``case_id``: {case_id: shared words}."""
    mine = sa.select(CaseSearchToken.token_hash).where(CaseSearchToken.case_id == case_id).distinct()
    rows = db.session.execute(
        sa.select(CaseSearchToken.case_id, sa.func.count(sa.distinct(CaseSearchToken.token_hash)).label("n"))
        .where(CaseSearchToken.token_hash.in_(mine), CaseSearchToken.case_id != case_id)
        .group_by(CaseSearchToken.case_id)
        .order_by(sa.desc("n"), CaseSearchToken.case_id)
        .limit(limit)
    ).all()
    return {r.case_id: r.n for r in rows}
