"""Static files as served (tracker/core/assets.py): the phone gets scripts
and style sheets without the comments of their sources."""
import pathlib
import re

import pytest

STATIC = pathlib.Path(__file__).resolve().parents[2] / "tracker" / "static"


@pytest.mark.parametrize("name", ["report.js", "report-offline.js", "tracker.js", "tracker.css", "intake.css"])
def test_scripts_and_style_sheets_are_served_without_comments(client, name):
    source = (STATIC / name).read_text()
    assert re.search(r"/\*|^\s*//", source, re.M)  # the source explains itself
    with client.get(f"/static/{name}") as served:
        assert served.status_code == 200
        body = served.get_data(as_text=True)
    assert "/*" not in body and not re.search(r"^\s*//", body, re.M)
    assert len(body) < len(source)
    # The code itself is untouched: every identifier of the source is there.
    words = set(re.findall(r"[A-Za-z_$][\w$]{3,}", re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)))
    assert words <= set(re.findall(r"[A-Za-z_$][\w$]{3,}", body))
