"""POST /exit, which Quick exit calls as it leaves (issue 9, item 4): the
server forgets the follow-up lookup and a receipt not yet shown, so a page
that Back or Forward fetches again cannot show them; nothing else."""
from tests.intake.test_after_receipt import _open_followup
from tests.intake.test_views import submit, valid_form

STATUS_PAGE = "Leave follow-up"


def test_exit_forgets_the_followup_lookup(client, make_report):
    _report, receipt = make_report()
    _open_followup(client, receipt)
    assert STATUS_PAGE in client.get("/followup").get_data(as_text=True)
    resp = client.post("/exit")  # no CSRF token: Quick exit cannot wait for one
    assert resp.status_code == 204 and resp.get_data() == b""
    assert resp.headers["Cache-Control"] == "no-store"
    page = client.get("/followup").get_data(as_text=True)
    assert STATUS_PAGE not in page and 'name="receipt"' in page


def test_exit_forgets_a_receipt_not_yet_shown(client):
    resp = submit(client, valid_form(client))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/report/receipt")
    client.post("/exit")
    page = client.get("/report/receipt").get_data(as_text=True)
    assert 'id="receipt"' not in page


def test_exit_leaves_a_staff_sign_in_alone(client, login_as):
    login_as("officer")
    client.post("/exit")
    assert client.get("/cases").status_code == 200


def test_exit_only_answers_post(client):
    assert client.get("/exit").status_code == 405
