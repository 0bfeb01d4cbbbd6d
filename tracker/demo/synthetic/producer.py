"""Batches of prepared inserts, built here or in a forked producer process
while this one writes them (two cores)."""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from tracker.demo.synthetic.rows import GenerateResult, _Generator
from tracker.demo.synthetic.writer import _Writer


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
