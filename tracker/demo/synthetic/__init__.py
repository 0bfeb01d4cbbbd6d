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

Layout, one concern per module: ``shape`` (the weights, texts and answer
distributions of the synthetic world), ``world`` (the reference data read
from the database once), ``rows`` (one report's rows, following the
workflow's rules imported from tracker.cases; no database), ``writer`` (the
raw bulk writer), ``producer`` (batches, optionally from a forked process),
and ``generate`` here.

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

import random
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from tracker.core.db import utcnow
from tracker.demo.synthetic.producer import PARALLEL_FROM, _batches, _from_producer
from tracker.demo.synthetic.rows import GenerateResult, _Generator, _Pools
from tracker.demo.synthetic.shape import BATCH_SIZE
from tracker.demo.synthetic.world import _load_world, _precompute_routes, _severity_function
from tracker.demo.synthetic.writer import _execute, _fix_sequences, _next_id, _tables
from tracker.extensions import db

__all__ = ["BATCH_SIZE", "GenerateResult", "generate"]


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
