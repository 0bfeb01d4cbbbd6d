"""What cases answers: intake's signals (a report was submitted, a reporter
wrote) and the workflow's own (a case moved). Connected in ``create_app``,
never at import (STYLE §12): intake announces, cases listens, and intake
never imports cases.

Every receiver runs inside the sender's transaction and only flushes.
"""
from __future__ import annotations

from flask import Flask

from tracker.cases.escalation import on_case_moved
from tracker.cases.intake import open_case_for_report
from tracker.cases.search import index_reporter_message
from tracker.cases.signals import case_moved
from tracker.intake.signals import report_submitted, reporter_message_added


def open_case_on_submission(sender, report, actor=None) -> None:
    """Answer intake's ``report_submitted``: one report, one case (DESIGN §4),
    opened in the same transaction. A report that already has its case is
    left alone, so a second delivery cannot open a second case."""
    if report.case is None:
        open_case_for_report(report, actor=actor)


def configure_cases(app: Flask) -> None:
    """Connect the receivers, once per process: blinker keeps one connection
    per receiver however many apps are made (the test suite makes many)."""
    report_submitted.connect(open_case_on_submission)
    reporter_message_added.connect(index_reporter_message)
    case_moved.connect(on_case_moved)
