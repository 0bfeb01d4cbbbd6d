"""What intake announces, for the domains above it to answer (STYLE habit
12: intake does not reach up into cases; cases listens). Listeners are
connected in ``create_app`` (tracker.cases.configure_cases)."""
from blinker import Namespace

_signals = Namespace()

#: sent with ``report=`` and ``message=`` after a reporter (or the partner
#: following up for them) added a message; flushed, not committed.
reporter_message_added = _signals.signal("reporter-message-added")
