"""The form as served: the XLSForm download parses back with pyxform, and
Enketo's own transformer (enketo-transformer from npm, a client nobody here
wrote) turns the served XForm into its HTML form in every shipped language."""
from __future__ import annotations

import io
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

NODE_DIR = pathlib.Path(__file__).parent / "node"
TRANSFORMER = NODE_DIR / "node_modules" / "enketo-transformer"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _served_xform(client, token) -> bytes:
    return client.get(f"/openrosa/{token}/forms/tracker_report.xml", headers={"X-OpenRosa-Version": "1.0"}).data


def test_partner_downloads_an_xlsform_that_pyxform_reads_back(app, client, device, login_as):
    partner, token = device
    login_as(partner)
    resp = client.get("/account/devices/form.xlsx")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.data[:2] == b"PK"  # an .xlsx is a zip
    book = load_workbook(io.BytesIO(resp.data))
    assert {"survey", "choices", "settings"} <= set(book.sheetnames)
    header = [c.value for c in next(book["survey"].iter_rows(max_row=1))]
    for lang in ("English (en)", "Spanish (es)", "French (fr)", "Arabic (ar)"):
        assert f"label::{lang}" in header
    names = [row[1] for row in book["survey"].iter_rows(min_row=2, values_only=True)]
    for field in ("categories", "occurred_on", "region", "force", "unit", "harm_killed", "consent_contact", "photo_1"):
        assert field in names
    result = convert(xlsform=io.BytesIO(resp.data), file_type=".xlsx", form_name="data")
    assert 'id="tracker_report"' in result.xform
    # The same form as the one Collect downloads.
    assert result.xform.encode() == _served_xform(client, token)


def test_other_roles_cannot_download_it(client, login_as):
    login_as("officer")
    assert client.get("/account/devices/form.xlsx").status_code == 403


def _enketo(xform: bytes) -> dict:
    node = shutil.which("node")
    if node is None or not TRANSFORMER.exists():
        message = "node and `npm ci --prefix tests/channels/node` are needed (see tests/channels/node/install.sh)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    done = subprocess.run([node, str(NODE_DIR / "transform.cjs")], input=xform, capture_output=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stdout)


def test_enketo_transformer_accepts_the_served_form_in_every_language(app, client, device):
    _partner, token = device
    result = _enketo(_served_xform(client, token))
    tags = {code.replace("_", "-") for code in app.config["LANGUAGES"]}
    assert set(result["languageMap"].values()) == tags
    form = result["form"]
    assert 'data-form-id="tracker_report"' in form
    # Arabic is offered right to left, the others left to right.
    options = dict(re.findall(r'<option value="([\w-]+)" data-dir="(\w+)"', form))
    assert {k: options[k] for k in ("en", "es", "fr", "ar")} == {"en": "ltr", "es": "ltr", "fr": "ltr", "ar": "rtl"}
    assert len(options) == len(app.config["LANGUAGES"])
    # The questions are there in every language, in that language (Enketo
    # renders labels as Markdown, which turns no-break spaces into spaces).
    expected = {"en": "Which force?", "es": "¿Qué fuerza?", "fr": "Quelle force ?", "ar": "أي قوة؟"}
    plain = form.replace("\xa0", " ").replace("\u202f", " ")
    for lang, label in expected.items():
        assert f'lang="{lang}"' in form
        assert re.search(rf'<span lang="{lang}" class="question-label[^"]*"[^>]*>{re.escape(label)}</span>',
                         plain), (lang, label)
    for name in ("categories", "occurred_on", "region", "force", "photo_1"):
        assert f'name="/data/{name}"' in form
    assert "<instanceID/>" in result["model"]
