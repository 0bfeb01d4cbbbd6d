"""The oversight side: queue, case page, workflow, escalation, duplicates.

What cases answers from intake's signals is connected in ``create_app``
(tracker.cases.receivers.configure_cases).
"""
