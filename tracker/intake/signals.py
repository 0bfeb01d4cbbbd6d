"""What intake announces, for the domains above it to answer (STYLE habit
12: intake does not reach up into cases; cases listens). Receivers are
connected in ``create_app`` (tracker.cases.receivers.configure_cases).

Receivers run synchronously, in the sender's session and transaction: they
add and flush, never commit, so what they write is committed (or rolled
back) with what intake wrote.
"""
from blinker import Namespace

_signals = Namespace()

#: sent with ``report=`` and ``actor=`` (the partner User filing on someone's
#: behalf, or None) once a new report, its photos and its idempotency key are
#: added to the session, not yet flushed; exactly one receiver (cases) opens
#: the report's case, sets ``report.case`` and flushes them all at once (an
#: IntegrityError there is a concurrent resend, handled by submit_report).
#: submit_report refuses to go on if no case was opened.
report_submitted = _signals.signal("report-submitted")

#: sent with ``report=`` and ``message=`` after a reporter (or the partner
#: following up for them) added a message; flushed, not committed.
reporter_message_added = _signals.signal("reporter-message-added")
