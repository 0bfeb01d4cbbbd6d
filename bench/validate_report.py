"""Time tracker.intake.schema.validate_report on one valid report (SQLite in
memory, the demo reference data), strict (JSON API) and lenient (form):

    .venv/bin/python bench/validate_report.py

Prints the best of 5 runs of 2,000 validations, in µs per report.
"""
from __future__ import annotations

import os
import sys
import timeit
from datetime import date, timedelta

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [_ROOT] + [p for p in sys.path if os.path.abspath(p or ".") != os.path.join(_ROOT, "bench")]

from tracker import create_app  # noqa: E402
from tracker.demo.reference import load_reference_data  # noqa: E402
from tracker.extensions import db  # noqa: E402

PAYLOAD = {
    "categories": ["assault", "property_destruction"],
    "occurred_on": (date.today() - timedelta(days=3)).isoformat(),
    "occurred_on_precision": "day", "part_of_day": "night", "region": "XV0101",
    "place_description": "Near the market", "latitude": 12.3456, "longitude": -71.9876,
    "force": "ARMY", "unit": "BDE4", "unit_description": "Green trucks", "operation": "OP-CLEAN-RIVER",
    "narrative": "Soldiers came at night and beat two men.",
    "harm": {"killed": 0, "injured": 2, "detained": 0, "missing": 0, "displaced_households": 0, "property_damaged": True},
    "victims": {"children": False, "women": True, "elderly": False, "disability": False},
    "relationship": "witness", "needs": ["medical"],
    "consent": {"contact": True, "statistics": True, "referral": False},
    "contact": {"name": "Amina", "phone": "+000 555 0101", "safe_times": "Evenings"},
    "pulse": {"respect": 4, "voice": None}, "language": "en",
}


def main() -> None:
    app = create_app("testing")
    with app.app_context(), app.test_request_context():
        db.create_all()
        load_reference_data()
        db.session.commit()
        from tracker.intake.schema import validate_report

        for label, strict in (("strict (API)", True), ("lenient (form)", False)):
            data, errors = validate_report(PAYLOAD, strict_types=strict)
            assert data is not None, errors
            n = 2000
            best = min(timeit.repeat(lambda strict=strict: validate_report(PAYLOAD, strict_types=strict), number=n, repeat=5))
            print(f"{label}: {best / n * 1e6:.0f} µs per report")


if __name__ == "__main__":
    main()
