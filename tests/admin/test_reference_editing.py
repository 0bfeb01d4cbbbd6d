"""Admin reference data one row at a time (issue 11): add and edit a single
region, rename a unit, CSV files with other delimiters, a warning for names
missing in a shipped language, and every account error in one round."""
import io

import sqlalchemy as sa

from config import Config
from tests.fixtures.accounts import csrf_token
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.reference.models import Region, Unit


def _post(client, url, data):
    token = csrf_token(client, url)
    if any(k.startswith("one-") for k in data):  # the single-region form (its fields are prefixed)
        data = {"one-csrf_token": token, "one-submit": "Save region", **data}
    return client.post(url, data={"csrf_token": token, **data})


def test_add_one_district_then_edit_it(client, login_as):
    login_as("admin")
    resp = _post(client, "/admin/regions", {"one-pcode": "XV0199", "one-level": "2", "one-parent": "XV01",
                                            "one-kind": "land", "one-name_en": "New Valley", "one-name_es": "Valle Nuevo"})
    assert resp.status_code == 302
    region = db.session.scalar(sa.select(Region).filter_by(pcode="XV0199"))
    assert region.parent.pcode == "XV01" and region.level == 2 and region.names == {"en": "New Valley", "es": "Valle Nuevo"}
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Region saved." in page
    # The warning names the shipped languages that have no name yet.
    missing = [name for code, name in Config.LANGUAGES.items() if code not in ("en", "es")]
    assert "No name yet in: " + ", ".join(missing) in page

    edit = client.get("/admin/regions/XV0199").get_data(as_text=True)
    assert 'value="Valle Nuevo"' in edit
    resp = _post(client, "/admin/regions/XV0199", {"level": "2", "parent": "XV02", "kind": "land",
                                                   **{f"name_{c}": f"Valley {c}" for c in Config.LANGUAGES}})
    assert resp.status_code == 302
    db.session.expire_all()
    region = db.session.scalar(sa.select(Region).filter_by(pcode="XV0199"))
    assert region.parent.pcode == "XV02" and region.names["fr"] == "Valley fr"
    assert "No name yet" not in client.get(resp.headers["Location"]).get_data(as_text=True)
    events = db.session.scalars(sa.select(AuditEvent).filter_by(action="reference.region_saved")).all()
    assert len(events) == 2


def test_region_form_errors_come_together_and_keep_input(client, login_as):
    login_as("admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Region))
    resp = _post(client, "/admin/regions", {"one-pcode": "", "one-level": "2", "one-kind": "land", "one-name_en": "",
                                            "one-name_fr": "Vallée"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Enter the P-code." in html and "Enter at least the English name." in html
    assert 'value="Vallée"' in html
    resp = _post(client, "/admin/regions", {"one-pcode": "XV0198", "one-level": "2", "one-parent": "XV",
                                            "one-kind": "land", "one-name_en": "Wrong level"})
    assert "one level up" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Region)) == before


def test_rename_a_unit_and_see_missing_languages(client, login_as):
    login_as("admin")
    unit = db.session.scalars(sa.select(Unit).order_by(Unit.id)).first()
    resp = _post(client, f"/admin/units/{unit.id}", {"name_en": "1st Riverine Battalion", "name_fr": "1er bataillon fluvial"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).names == {"en": "1st Riverine Battalion", "fr": "1er bataillon fluvial"}
    forces = client.get("/admin/forces").get_data(as_text=True)
    assert "no name in" in forces and Config.LANGUAGES["ar"] in forces
    assert client.get("/admin/units/999999").status_code == 404


def _upload(client, data: bytes):
    t = csrf_token(client, "/admin/regions")
    return client.post("/admin/regions", data={"csrf_token": t, "file": (io.BytesIO(data), "regions.csv")},
                       content_type="multipart/form-data")


def test_semicolon_and_tab_separated_files_load(client, login_as):
    login_as("admin")
    for sep, code in ((";", "XV0197"), ("\t", "XV0196")):
        text = sep.join(["pcode", "parent_pcode", "level", "kind", "name_en", "name_fr"]) + "\n" + \
            sep.join([code, "XV01", "2", "land", "Hill, North", "Colline"]) + "\n"
        assert _upload(client, text.encode()).status_code == 302, repr(sep)
        assert db.session.scalar(sa.select(Region).filter_by(pcode=code)).names["en"] == "Hill, North"


def test_a_file_without_a_header_says_what_it_found(client, login_as):
    login_as("admin")
    resp = _upload(client, b"XV0195;XV01;2;land;Somewhere\n")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "lacks these columns" in html and "Its first line has: XV0195" in html


def test_every_account_error_in_one_round(client, login_as, make_user):
    taken = make_user("officer")
    login_as("admin")
    resp = _post(client, "/admin/users/new", {"email": taken.email, "role": "officer", "body": "NOC", "password": "short"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "An account with this email already exists." in html
    assert "at least 12 characters" in html
