"""The desk as an officer and a supervisor use it (issue 11): forms are
submitted the way a browser submits them — every field of the form with its
current value, plus the one button that was pressed — so a button that
shares its name with a select cannot pass unnoticed again."""
from html.parser import HTMLParser

import sqlalchemy as sa

from tracker.cases.models import Case


class _Forms(HTMLParser):
    """Collects each <form>'s action, its successful controls and its buttons."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._option = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action"), "fields": [], "buttons": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button"):
                self._form["buttons"].append((a.get("name"), a.get("value", ""), ""))
                return
            self._form["fields"].append([a["name"], a.get("value", "")])
        elif tag == "select":
            self._select = [a.get("name"), None, None]  # name, first value, selected value
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[1] is None:
                self._select[1] = value
            if "selected" in a:
                self._select[2] = value
        elif tag == "button":
            self._option = [a.get("name"), a.get("value", ""), ""]
            self._form["buttons"].append(self._option)

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self._form is not None:
            name, first, chosen = self._select
            if name:
                self._form["fields"].append([name, chosen if chosen is not None else (first or "")])
            self._select = None
        elif tag == "button":
            self._option = None
        elif tag == "form":
            self._form = None


def press(client, page_url, action_part, button_text, **changes):
    """Load ``page_url``, find the form whose action contains ``action_part``,
    set ``changes`` and press the button labelled ``button_text``."""
    parser = _Forms()
    parser.feed(client.get(page_url).get_data(as_text=True))
    form = next(f for f in parser.forms if f["action"] and action_part in f["action"])
    data = [(k, changes.get(k, v)) for k, v in form["fields"]]
    button = next(b for b in form["buttons"] if b[2].strip() == button_text)
    if button[0]:
        data.append((button[0], button[1]))
    from werkzeug.datastructures import MultiDict

    return client.post(form["action"], data=MultiDict(data))


def test_assign_to_me_assigns_the_officer_who_pressed_it(app, db, client, login_as, case_for_report):
    case = case_for_report()
    officer = login_as("officer")
    resp = press(client, f"/cases/{case.ref}", "/assign", "Assign to me")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).assigned_to_id == officer.id
    page = client.get(f"/cases/{case.ref}").get_data(as_text=True)
    assert "Assignment saved." in page
    assert officer.email in page.split("Assigned to", 1)[1]


def test_the_select_still_unassigns(app, db, client, login_as, case_for_report):
    case = case_for_report()
    officer = login_as("officer")
    press(client, f"/cases/{case.ref}", "/assign", "Assign to me")
    resp = press(client, f"/cases/{case.ref}", "/assign", "Save", assignee="")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).assigned_to_id is None
    assert officer.id is not None


def _propose(client, ref):
    from tests.fixtures.accounts import csrf_token

    token = csrf_token(client, f"/cases/{ref}")
    return client.post(f"/cases/{ref}/transition",
                       data={"csrf_token": token, "action": "propose_escalation", "reason": "Shots fired at a school"})


def test_a_proposal_says_so_and_is_not_offered_again(app, db, client, login_as, case_for_report):
    case = case_for_report(categories=["threats"])
    login_as("officer")
    resp = _propose(client, case.ref)
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Escalation proposed: the supervisors of your body have been told." in page
    assert "Done: the case is now" not in page
    assert "waits for a supervisor" in page
    assert 'value="propose_escalation"' not in page
    again = _propose(client, case.ref)
    assert again.status_code == 400
    assert "already proposed" in again.get_data(as_text=True)


def test_supervisor_finds_proposals_from_the_tile_and_the_filter(app, db, client, login_as, case_for_report):
    proposed = case_for_report(categories=["threats"], narrative="first")
    other = case_for_report(categories=["threats"], narrative="second")
    c_officer = app.test_client()
    login_as("officer", c_officer)
    assert _propose(c_officer, proposed.ref).status_code == 302

    login_as("supervisor")
    queue = client.get("/cases").get_data(as_text=True)
    assert '<a href="/cases?proposed=1"><strong>1</strong> escalation proposed</a>' in queue
    filtered = client.get("/cases?proposed=1").get_data(as_text=True)
    assert proposed.ref in filtered and other.ref not in filtered
    assert 'name="proposed" value="1" checked' in filtered
    case_page = client.get(f"/cases/{proposed.ref}").get_data(as_text=True)
    assert "An officer proposed on" in case_page
    assert 'value="escalate"' in case_page


def test_plural_of_proposals_in_spanish(app, db, client, login_as, case_for_report):
    cases = [case_for_report(categories=["threats"], narrative=str(i)) for i in range(2)]
    c_officer = app.test_client()
    login_as("officer", c_officer)
    for c in cases:
        _propose(c_officer, c.ref)
    login_as("supervisor")
    html = client.get("/cases?lang=es").get_data(as_text=True)
    assert "<strong>2</strong> escalaciones propuestas" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2


def _trail_rows(html):
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [row for row in body.split("<tr>")[1:]]


def test_audit_trail_reads_in_words_with_names_and_filters(app, db, client, login_as, case_for_report, make_user):
    from tests.fixtures.accounts import csrf_token

    case = case_for_report(categories=["threats"])
    other = case_for_report(categories=["threats"], narrative="another")
    officer_client = app.test_client()
    officer = login_as("officer", officer_client)
    token = csrf_token(officer_client, f"/cases/{case.ref}")
    officer_client.post(f"/cases/{case.ref}/transition", data={"csrf_token": token, "action": "triage"})
    press(officer_client, f"/cases/{case.ref}", "/assign", "Assign to me")
    # A wrong password for the supervisor, from a stranger.
    supervisor = login_as("supervisor")
    anon = app.test_client()
    anon.post("/login", data={"csrf_token": csrf_token(anon, "/login"), "email": supervisor.email,
                              "password": "not the password at all"})

    html = client.get("/cases/audit?lang=fr").get_data(as_text=True)
    rows = _trail_rows(html)
    text = " ".join(rows)
    # Titles and states in French, people by e-mail, never raw codes or ids.
    assert "Trié" in text or "trié" in text
    assert "de « Nouveau » à « Trié »" in text
    assert officer.email in text
    for raw in ("case.triage", "auth.login_failed", "to_user_id", "from=", "note_id", "case_id"):
        assert raw not in text, raw
    assert "Échec de connexion" in text and "mot de passe erroné" in text

    # Filters: by case, by person, by action, by date.
    only_case = " ".join(_trail_rows(client.get(f"/cases/audit?case={case.ref}&lang=en").get_data(as_text=True)))
    assert case.ref in only_case and other.ref not in only_case
    by_person = _trail_rows(client.get(f"/cases/audit?user={officer.id}").get_data(as_text=True))
    assert by_person and all(officer.email in r for r in by_person)
    by_action = _trail_rows(client.get("/cases/audit?action=case.assign").get_data(as_text=True))
    assert len(by_action) == 1 and f"from Nobody to {officer.email}" in by_action[0]
    assert _trail_rows(client.get("/cases/audit?from=2000-01-01&to=2000-01-02").get_data(as_text=True)) == []
    bad = client.get("/cases/audit?case=NOPE&user=abc&action=x.y&from=2026-13-01")
    assert bad.status_code == 200
    page = bad.get_data(as_text=True)
    for msg in ("No case of your body has this reference.", "Choose a person of your body.", "Unknown event.",
                "Please give a date as YYYY-MM-DD."):
        assert msg in page


# ------------------------------------------------------------------ search


def test_search_stems_words_and_covers_place_and_reporter_messages(app, db, make_user, case_for_report):
    from tracker.cases.models import CaseSearchToken
    from tracker.cases.queue import parse_filters, queue_page
    from tracker.intake.services import add_reporter_message

    officer = make_user("officer")
    a = case_for_report(narrative="Los soldados quemaron las escuelas", language="es")
    b = case_for_report(narrative="Des militaires ont arrêté trois pêcheurs", language="fr",
                        place_description="Près du marché aux poissons")
    c = case_for_report(narrative="A patrol came at night")
    add_reporter_message(c.reports[0], "They also burned the granaries near the river")
    db.session.commit()

    def found(q):
        return {x.id for x in queue_page(officer, parse_filters({"q": q})).cases}

    assert found("soldado") == {a.id}  # singular finds plural
    assert found("escuela quemar") == {a.id}
    assert found("pêcheur") == {b.id}
    assert found("marché") == {b.id}  # place description
    assert found("poisson") == {b.id}
    assert found("granary") == {c.id}  # the reporter's follow-up message
    assert found("rivers") == {c.id}
    assert found("soldado pêcheur") == set()
    stored = db.session.scalars(sa.select(CaseSearchToken.token_hash)).all()
    assert all(len(h) == 64 for h in stored)
    assert not any(w in h for h in stored for w in ("soldad", "escuel", "granar", "poisson"))


def test_queue_says_how_many_cases_match(app, db, client, login_as, case_for_report):
    for i in range(3):
        case_for_report(narrative=f"soldiers burned house number {i}")
    case_for_report(narrative="a quiet patrol")
    login_as("officer")
    html = client.get("/cases?q=soldier").get_data(as_text=True)
    assert "3 cases match." in html
    assert "1 case matches." in client.get("/cases?q=quiet").get_data(as_text=True)
    assert "cases match" not in client.get("/cases").get_data(as_text=True)


# --------------------------------------------------- previous page and sorting


def _walk(client, url):
    """Follow Next links to the end, then Previous links back; returns the
    case refs of each page in both directions."""
    import re

    forward, html = [], client.get(url).get_data(as_text=True)
    while True:
        forward.append(re.findall(r'<a href="/cases/([^"/?]+)"><strong>', html))
        nxt = re.search(r'rel="next" href="([^"]+)"', html)
        if not nxt:
            break
        html = client.get(nxt.group(1).replace("&amp;", "&")).get_data(as_text=True)
    backward = [re.findall(r'<a href="/cases/([^"/?]+)"><strong>', html)]
    while True:
        prev = re.search(r'rel="prev" href="([^"]+)"', html)
        if not prev:
            break
        html = client.get(prev.group(1).replace("&amp;", "&")).get_data(as_text=True)
        backward.append(re.findall(r'<a href="/cases/([^"/?]+)"><strong>', html))
    return forward, backward[::-1]


def test_previous_page_and_every_sort_order(app, db, client, login_as, make_case, monkeypatch):
    from datetime import timedelta

    from tracker.core.db import utcnow

    monkeypatch.setattr("tracker.cases.queue.PAGE_SIZE", 4)
    base = utcnow() - timedelta(days=30)
    made = []
    for i in range(11):
        sev = ["critical", "high", "medium", "low"][i % 4]
        c = make_case(state="triaged", severity=sev, created_at=base + timedelta(hours=i // 2), commit=False)
        c.updated_at = base + timedelta(days=1, minutes=(i * 7) % 11)
        made.append(c)
    db.session.commit()
    login_as("officer")
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    expected = {
        "severity": sorted(made, key=lambda c: (rank[c.severity], c.created_at, c.id)),
        "oldest": sorted(made, key=lambda c: (c.created_at, c.id)),
        "newest": sorted(made, key=lambda c: (c.created_at, c.id), reverse=True),
        "updated": sorted(made, key=lambda c: (c.updated_at, c.id), reverse=True),
    }
    for sort, cases in expected.items():
        forward, backward = _walk(client, f"/cases?sort={sort}&state=all")
        refs = [c.ref for c in cases]
        assert [r for page in forward for r in page] == refs, sort
        assert [len(p) for p in forward] == [4, 4, 3], sort
        assert backward == forward, sort
