import pytest

from tests.metrics.rows import add_pulse, add_report


@pytest.fixture
def stat_report(app):
    return add_report


@pytest.fixture
def pulse(app):
    return add_pulse
