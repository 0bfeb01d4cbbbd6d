"""The demo tests use the API client fixture to check the printed receipts."""
from tests.api.conftest import api  # noqa: F401
