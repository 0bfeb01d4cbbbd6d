"""compute_severity: every branch of the DESIGN §4 rule."""
import pytest

from tracker.intake.severity import CRITICAL_CATEGORIES, HIGH_CATEGORIES, MEDIUM_CATEGORIES, compute_severity, severity_rank
from tracker.reference.models import CATEGORIES


@pytest.mark.parametrize("category", sorted(CRITICAL_CATEGORIES))
def test_critical_categories(category):
    assert compute_severity([category], {}, {}) == "critical"


@pytest.mark.parametrize("category", sorted(HIGH_CATEGORIES))
def test_high_categories(category):
    assert compute_severity([category], {}, {}) == "high"


@pytest.mark.parametrize("category", sorted(MEDIUM_CATEGORIES))
def test_medium_categories(category):
    assert compute_severity([category], {}, {}) == "medium"


def test_every_category_is_classified():
    classified = CRITICAL_CATEGORIES | HIGH_CATEGORIES | MEDIUM_CATEGORIES | {"other"}
    assert classified == set(CATEGORIES)
    assert not (CRITICAL_CATEGORIES & HIGH_CATEGORIES or HIGH_CATEGORIES & MEDIUM_CATEGORIES)


def test_other_alone_is_low():
    assert compute_severity(["other"], {"killed": 0, "property_damaged": False}, {"women": True}) == "low"
    assert compute_severity([], None, None) == "low"


@pytest.mark.parametrize(
    "harm, expected",
    [
        ({"killed": 1}, "critical"),
        ({"missing": 2}, "critical"),
        ({"injured": 1}, "high"),
        ({"detained": 3}, "high"),
        ({"displaced_households": 4}, "high"),
        ({"property_damaged": True}, "medium"),
        ({"killed": 0, "injured": 0, "property_damaged": False}, "low"),
    ],
)
def test_harm_numbers_count_whatever_the_category(harm, expected):
    assert compute_severity(["other"], harm, {}) == expected


def test_a_death_makes_any_report_critical():
    assert compute_severity(["threats"], {"killed": 1}, {}) == "critical"


def test_child_victim_raises_high_to_critical_only():
    assert compute_severity(["assault"], {}, {"children": True}) == "critical"
    assert compute_severity(["other"], {"detained": 1}, {"children": True}) == "critical"
    # not in a medium or low report
    assert compute_severity(["threats"], {}, {"children": True}) == "medium"
    assert compute_severity(["other"], {}, {"children": True}) == "low"
    # other victim groups do not raise it
    assert compute_severity(["assault"], {}, {"women": True, "elderly": True, "disability": True}) == "high"


def test_highest_category_wins():
    assert compute_severity(["threats", "arbitrary_detention"], {}, {}) == "high"
    assert compute_severity(["threats", "torture"], {}, {}) == "critical"


def test_rank_orders_the_queue():
    assert [severity_rank(s) for s in ("critical", "high", "medium", "low")] == [0, 1, 2, 3]
