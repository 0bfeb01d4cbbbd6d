"""What the workflow announces, for the rest of cases (and anything above
it) to answer. Listeners are connected in ``create_app``
(tracker.cases.receivers.configure_cases), never at import."""
from blinker import Namespace

_signals = Namespace()

#: sent with ``case=``, ``action=``, ``actor=`` (None for the system) after a
#: move is flushed and audited, inside the caller's transaction.
case_moved = _signals.signal("case-moved")
