"""Every test in tests/browser/ drives Chromium: mark them ``browser``
(``pytest -m "not browser"`` runs the rest)."""
import pathlib

import pytest

HERE = pathlib.Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in pathlib.Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
