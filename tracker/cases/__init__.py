"""The oversight side: queue, case page, workflow, escalation, duplicates."""


def configure_cases(app) -> None:
    """Connect what cases answers from intake's signals (once per process:
    blinker keeps one receiver however many apps are made)."""
    from tracker.cases.search import index_reporter_message
    from tracker.intake.signals import reporter_message_added

    reporter_message_added.connect(index_reporter_message)
