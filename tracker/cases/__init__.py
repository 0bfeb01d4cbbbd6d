"""The oversight side: queue, case page, workflow, escalation, duplicates."""


def configure_cases(app) -> None:
    """Connect what cases answers from intake's signals (once per process:
    blinker keeps one receiver however many apps are made)."""
    from tracker.cases.escalation import on_case_moved
    from tracker.cases.search import index_reporter_message
    from tracker.cases.signals import case_moved
    from tracker.intake.signals import reporter_message_added

    reporter_message_added.connect(index_reporter_message)
    case_moved.connect(on_case_moved)
