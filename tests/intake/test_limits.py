"""Limits that protect without refusing the people who report (issue 8 item 4,
DESIGN §8c): retries are never refused, a refused form keeps what was typed
and says when, form and API share one counter per address, a village behind
one address can file, and a receipt-guess flood from many addresses neither
reaches the receipt hash nor stops intake.

Addresses are set per request with ``environ_base`` (REMOTE_ADDR), as gunicorn
would see many phones.
"""
import re
import time

import pytest
import sqlalchemy as sa

import tracker.intake.receipts as receipts
from tests.fixtures.factories import build_report_payload
from tests.intake.test_views import hidden, read_receipt_once
from tracker.extensions import limiter
from tracker.intake.models import Report


@pytest.fixture(autouse=True)
def fresh_counters(app):
    limiter.enabled = True
    limiter.reset()
    yield
    limiter.reset()


def at(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def form(client, **overrides):
    page = client.get("/report").get_data(as_text=True)
    data = {
        "csrf_token": hidden(page, "csrf_token"),
        "idempotency_key": hidden(page, "idempotency_key"),
        "categories": ["assault", "threats"],
        "narrative": "Soldiers took the boat of Yusuf at the river crossing.",
        "occurred_on": "2025-11-02",
        "occurred_on_precision": "day",
        "region": "XV0102",
        "place_description": "The old ferry landing",
        "force": "POLICE",
        "harm_injured": "1",
        "consent_statistics": "y",
        "consent_contact": "y",
        "contact_name": "Mariam Osei",
        "contact_phone": "0999 123 456",
    }
    data.update(overrides)
    return data


def api_guess(app, address: str, n: int):
    """A wrong receipt (``n`` in 16 digits) through the API from ``address``."""
    return at(app.test_client(), address).post("/api/v1/followup", json={"receipt": f"{n:016d}"})


def send(client, data):
    return client.post("/report", data=data, content_type="multipart/form-data")


def api_report(client, **overrides):
    return client.post("/api/v1/reports", json=build_report_payload(**overrides))


def reports(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Report))


# ------------------------------------------------------------------ retries

def test_a_retry_of_a_filed_report_is_never_refused_form(app, client, db):
    app.config["RATELIMIT_REPORT"] = "2 per hour"
    at(client, "10.1.0.1")
    first = form(client)
    assert send(client, first).status_code == 302
    receipt = read_receipt_once(client)
    assert send(client, form(client)).status_code == 302
    assert send(client, form(client)).status_code == 429  # the allowance is used up
    for _ in range(5):  # the network resends the first form: its receipt, again
        resp = send(client, first)
        assert resp.status_code == 302
        assert read_receipt_once(client) == receipt
    assert reports(db) == 2


def test_a_retry_of_a_filed_report_is_never_refused_api(app, client, db):
    app.config["RATELIMIT_REPORT"] = "2 per hour"
    at(client, "10.1.0.2")
    r = api_report(client, idempotency_key="phone-42-report-1")
    assert r.status_code == 201
    assert api_report(client, idempotency_key="phone-42-report-2").status_code == 201
    assert api_report(client, idempotency_key="phone-42-report-3").status_code == 429
    for _ in range(5):
        again = api_report(client, idempotency_key="phone-42-report-1")
        assert again.status_code == 200 and again.get_json()["receipt"] == r.get_json()["receipt"]
    assert reports(db) == 2


def test_correcting_a_refused_field_is_not_counted_again(app, client, db):
    """The first send came back with a field to correct (it was counted);
    sending the corrected form, same idempotency key, is let through."""
    app.config["RATELIMIT_REPORT"] = "1 per hour"
    at(client, "10.1.0.3")
    data = form(client, region="")
    assert send(client, data).status_code == 400
    data["region"] = "XV0102"
    assert send(client, data).status_code == 302
    assert reports(db) == 1
    assert send(client, form(client)).status_code == 429  # a new report is counted


def test_a_refused_report_is_not_let_through_free_when_sent_again(app, client, db):
    """Only a key that was admitted once passes again without counting: the
    resend of a refused report is counted (and refused) like a new one."""
    app.config["RATELIMIT_REPORT"] = "2 per hour"
    at(client, "10.1.0.4")
    assert api_report(client, idempotency_key="phone-43-report-1").status_code == 201
    assert api_report(client, idempotency_key="phone-43-report-2").status_code == 201
    for _ in range(3):
        assert api_report(client, idempotency_key="phone-43-report-3").status_code == 429
    assert reports(db) == 2


def test_an_admitted_key_passes_again_only_a_few_times(app, client, db):
    """A key admitted but never filed (each send came back with a field to
    correct) passes again without counting, up to 10 times; then it counts."""
    app.config["RATELIMIT_REPORT"] = "3 per hour"
    at(client, "10.1.0.5")
    bad = {"idempotency_key": "phone-44-report-1", "region": "NOWHERE"}
    statuses = [api_report(client, **bad).status_code for _ in range(14)]
    # 1 counted + 10 free + 2 counted = the 3 of the hour; the 14th is refused.
    assert statuses == [400] * 13 + [429]


# ------------------------------------------------------- the refused form

def test_refused_form_keeps_everything_typed_and_says_when(app, client, db):
    app.config["RATELIMIT_REPORT"] = "1 per hour"
    at(client, "10.2.0.1")
    assert send(client, form(client)).status_code == 302
    typed = form(client, narrative="At dawn they burned the granary of the Diallo family.",
                 place_description="Behind the clinic", contact_name="Awa Diallo", categories=["property_destruction"])
    resp = send(client, typed)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 429
    retry_after = int(resp.headers["Retry-After"])
    assert 0 < retry_after <= 3600
    assert "At dawn they burned the granary of the Diallo family." in page
    assert 'value="Behind the clinic"' in page and 'value="Awa Diallo"' in page
    assert re.search(r'value="property_destruction"[^>]*checked|checked[^>]*value="property_destruction"', page)
    assert hidden(page, "idempotency_key") == typed["idempotency_key"]  # so that re-sending is one report
    assert "Please send yours again in" in page and "Everything you typed is kept below." in page
    assert reports(db) == 1


@pytest.mark.parametrize("lang,when", [("fr", r"dans \d+ (minutes?|heure)"), ("es", r"dentro de \d+ (minutos?|hora)"),
                                       ("ar", r"\d+")])
def test_refused_form_says_when_in_the_readers_language(app, client, lang, when):
    app.config["RATELIMIT_REPORT"] = "1 per hour"
    at(client, "10.2.0.2")
    client.get(f"/report?lang={lang}")
    assert send(client, form(client)).status_code == 302
    resp = send(client, form(client))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 429 and f'lang="{lang}"' in page
    notice = re.search(r'<div class="errors-summary" id="refused"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert re.search(when, notice), notice
    assert "connection" not in notice and "typed" not in notice  # not left in English


def test_refused_api_report_says_when(app, client):
    app.config["RATELIMIT_REPORT"] = "1 per hour"
    at(client, "10.2.0.3")
    assert api_report(client).status_code == 201
    r = api_report(client, language="fr")
    body = r.get_json()
    assert r.status_code == 429 and int(r.headers["Retry-After"]) == body["retry_after"] > 0
    assert re.search(r"dans \d+ (minutes?|heure)", body["error"])


# ------------------------------------------------------ one shared counter

def test_form_and_api_share_one_counter_per_address(app, client, db):
    app.config["RATELIMIT_REPORT"] = "3 per hour"
    at(client, "10.3.0.1")
    assert send(client, form(client)).status_code == 302
    assert api_report(client).status_code == 201
    assert send(client, form(client)).status_code == 302
    assert api_report(client).status_code == 429
    assert send(client, form(client)).status_code == 429
    other = at(app.test_client(), "10.3.0.2")
    assert api_report(other).status_code == 201  # another address has its own counter
    assert reports(db) == 4


def test_wrong_receipts_share_one_counter_for_form_and_api(app, client, make_report):
    app.config["RATELIMIT_FOLLOWUP"] = "4 per hour"
    _report, receipt = make_report()
    wrong = ("1" if receipt[0] != "1" else "2") + receipt[1:]
    at(client, "10.3.0.3")
    token = hidden(client.get("/followup").get_data(as_text=True), "csrf_token")
    for _ in range(2):
        assert client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": wrong}).status_code == 400
        assert client.post("/api/v1/followup", json={"receipt": wrong}).status_code == 404
    assert client.post("/api/v1/followup", json={"receipt": receipt}).status_code == 429
    resp = client.post("/followup", data={"csrf_token": token, "action": "lookup", "receipt": receipt})
    assert resp.status_code == 429 and "Retry-After" in resp.headers


# ---------------------------------------------------- sized for a village

def test_a_village_behind_one_address_files_200_reports_in_an_hour(client, db):
    """With the shipped per-address limit (not a test override)."""
    at(client, "100.64.0.1")  # a carrier-grade NAT address
    codes = [api_report(client, idempotency_key=f"village-{i}").status_code for i in range(200)]
    assert codes.count(201) == 200
    assert send(client, form(client)).status_code == 302
    assert reports(db) == 201


def test_a_village_sending_its_held_reports_at_once_is_not_taken_for_a_flood(app, client, db, monkeypatch):
    """With the shipped limits (config.Config, not the test overrides): a
    village that filed 20 reports through the day from one address, whose
    phones then get their signal back at once and send 12 held reports in
    the same second, is not refused as if intake were under pressure."""
    from config import Config

    app.config.update(RATELIMIT_REPORT=Config.RATELIMIT_REPORT,
                      RATELIMIT_REPORT_PRESSURE=Config.RATELIMIT_REPORT_PRESSURE,
                      RATELIMIT_REPORT_SHARE=Config.RATELIMIT_REPORT_SHARE)
    clock = [20_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    village = at(client, "100.64.0.2")
    for i in range(20):
        assert api_report(village, idempotency_key=f"day-{i}").status_code == 201
        clock[0] += 60
    codes = [api_report(village, idempotency_key=f"held-{i}").status_code for i in range(12)]
    assert codes == [201] * 12
    assert reports(db) == 32


def test_under_pressure_a_flooding_address_waits_and_others_still_file(app, client, db):
    """Intake as a whole above RATELIMIT_REPORT_PRESSURE: an address over its
    fair share waits a minute; an address that filed little is served."""
    app.config.update(RATELIMIT_REPORT_PRESSURE="6 per hour", RATELIMIT_REPORT_SHARE=3)
    flooder = at(client, "10.4.0.1")
    codes = [api_report(flooder).status_code for _ in range(8)]
    assert codes[:6] == [201] * 6 and codes[6:] == [429, 429]
    r = api_report(flooder)
    assert r.headers["Retry-After"] == "60" and "very busy" in r.get_json()["error"]
    for i in range(3):
        assert api_report(at(app.test_client(), f"10.4.1.{i}")).status_code == 201
    assert reports(db) == 9


# ------------------------------------------------------- guess floods

def test_a_guess_flood_from_many_addresses_is_refused_before_the_hash(app, client, db, make_report, monkeypatch):
    """50 addresses guess receipts through the API and the form: once the
    global budget of receipt hashes is spent, guesses are refused without
    hashing; meanwhile another address files reports, and a reporter whose
    address has not been guessing still opens their report."""
    app.config.update(RATELIMIT_LOOKUP_GLOBAL="60 per hour", RATELIMIT_LOOKUP_SUSPECT="5 per hour")
    _report, receipt = make_report()
    hashed = []
    real_hash = receipts.receipt_hash
    monkeypatch.setattr(receipts, "receipt_hash", lambda digits: hashed.append(digits) or real_hash(digits))

    codes = []
    for n in range(50):
        guesser = at(app.test_client(), f"10.5.0.{n + 1}")
        token = hidden(guesser.get("/followup").get_data(as_text=True), "csrf_token")
        for k in range(4):
            guess = f"{n:04d}{k:04d}00000000"
            if k % 2:
                codes.append(guesser.post("/api/v1/followup", json={"receipt": guess}).status_code)
            else:
                codes.append(guesser.post("/followup", data={"csrf_token": token, "action": "lookup",
                                                             "receipt": guess}).status_code)
    assert len(codes) == 200
    assert codes.count(429) >= 200 - 55  # first guesses: 50 of the clean pool; then 5 suspect
    assert len(hashed) <= 55

    reporter = at(app.test_client(), "10.5.1.1")
    assert send(reporter, form(reporter)).status_code == 302
    assert api_report(reporter).status_code == 201
    r = at(app.test_client(), "10.5.1.2").post("/api/v1/followup", json={"receipt": receipt})
    assert r.status_code == 200 and r.get_json()["status"] == "new"


def test_the_hash_budget_cannot_be_spent_twice_at_a_window_edge(app, monkeypatch):
    """The global budget is per window, but a flood that spends one window's
    budget in its last moment cannot spend the next one's in the first moment
    after it: twice the budget within one second (a fixed window allows it)."""
    app.config.update(RATELIMIT_LOOKUP_GLOBAL="4 per 10 seconds", RATELIMIT_LOOKUP_SUSPECT="1 per hour",
                      RATELIMIT_FOLLOWUP="100 per hour")
    hashed = []
    real_hash = receipts.receipt_hash
    monkeypatch.setattr(receipts, "receipt_hash", lambda digits: hashed.append(digits) or real_hash(digits))
    clock = [10_000_009.5]  # half a second before a 10-second window ends
    monkeypatch.setattr(time, "time", lambda: clock[0])

    def guess(n):
        return api_guess(app, f"10.7.0.{n}", n).status_code

    assert [guess(n) for n in range(1, 5)] == [404] * 4
    clock[0] += 1  # half a second into the next window
    after = [guess(n) for n in range(5, 9)]
    # The window slides: the last one still weighs 95 % (4 x 0.95 = 3.8 of
    # 4), so one more hash fits, not four more.
    assert after == [404, 429, 429, 429] and len(hashed) == 5
    clock[0] += 10  # a whole window later the budget is back
    assert guess(9) == 404 and len(hashed) == 6


def test_a_malformed_guess_spends_nothing_of_the_global_budget(app, client):
    app.config.update(RATELIMIT_LOOKUP_GLOBAL="1 per hour", RATELIMIT_LOOKUP_SUSPECT="1 per hour",
                      RATELIMIT_FOLLOWUP="100 per hour")
    for n in range(20):
        assert at(app.test_client(), f"10.6.0.{n}").post("/api/v1/followup", json={"receipt": "12"}).status_code == 400
    assert at(client, "10.6.1.1").post("/api/v1/followup", json={"receipt": "1" * 16}).status_code == 404


def test_guessers_refused_for_the_budget_leave_the_first_pool_to_reporters(app, make_report, monkeypatch):
    """Guessers whose guesses were refused before any hash (so never counted
    wrong) must not take the first pool again as it refills: a reporter from
    an address that has not been guessing still opens their report."""
    app.config.update(RATELIMIT_LOOKUP_GLOBAL="2 per 10 seconds", RATELIMIT_LOOKUP_SUSPECT="1 per hour",
                      RATELIMIT_FOLLOWUP="100 per hour")
    _report, receipt = make_report()
    clock = [20_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])

    def guess(n):
        return api_guess(app, f"10.8.0.{n}", n).status_code

    assert [guess(n) for n in range(1, 11)] == [404, 404] + [429] * 8  # the first pool is spent
    clock[0] += 20  # two windows later it is whole again
    # The eight refused guessers try again: they draw from the suspect pool
    # (one hash an hour here), not from the refilled first pool.
    assert [guess(n) for n in range(3, 11)] == [404] + [429] * 7
    r = at(app.test_client(), "10.8.1.1").post("/api/v1/followup", json={"receipt": receipt})
    assert r.status_code == 200 and r.get_json()["status"] == "new"


def test_a_guesser_refused_a_moment_ago_is_refused_without_asking_the_counters(app, make_report, monkeypatch):
    """During a flood each worker remembers, for half a refill interval, that
    the suspect pool is spent and, for a minute, which addresses guess: their
    next guesses are refused with no storage round trip (a flood costs the
    shared counters nothing). The memory only refuses: once the pool has
    refilled the counters are asked again, and a reporter whose address has
    not been guessing is answered meanwhile."""
    app.config.update(RATELIMIT_LOOKUP_GLOBAL="2 per 10 seconds", RATELIMIT_LOOKUP_SUSPECT="1 per 10 seconds",
                      RATELIMIT_FOLLOWUP="100 per hour")
    _report, receipt = make_report()
    hashed = []
    real_hash = receipts.receipt_hash
    monkeypatch.setattr(receipts, "receipt_hash", lambda digits: hashed.append(digits) or real_hash(digits))
    clock = [30_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])

    def guess(n):
        return api_guess(app, f"10.9.0.{n}", n).status_code

    assert [guess(n) for n in range(1, 11)] == [404, 404] + [429] * 8  # the clean pool is spent
    assert [guess(n) for n in range(1, 11)] == [404] + [429] * 9  # the suspect pool: one hash
    assert len(hashed) == 3

    calls = []
    storage = limiter.storage
    for name in ("get", "incr", "get_expiry", "clear", "acquire_sliding_window_entry", "get_sliding_window",
                 "acquire_entry", "get_moving_window"):
        if hasattr(storage, name):
            real = getattr(storage, name)
            monkeypatch.setattr(storage, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))

    clock[0] += 4  # within half the suspect pool's refill interval (10 s / 1 = 10 s)
    refused = [api_guess(app, f"10.9.0.{n}", n) for n in range(1, 11)]
    assert [r.status_code for r in refused] == [429] * 10
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    assert calls == [] and len(hashed) == 3

    # In the next window the clean pool has room again (the spent window
    # weighs 80 %: 1.6 of 2), while the guessers are still refused from
    # memory: a reporter from a clean address is answered.
    clock[0] += 8
    r = at(app.test_client(), "10.9.1.1").post("/api/v1/followup", json={"receipt": receipt})
    assert r.status_code == 200 and r.get_json()["status"] == "new"
    assert calls  # asked the counters

    # Once the suspect pool has refilled, a guesser is checked against the
    # counters again and one more guess is hashed.
    clock[0] += 20
    calls.clear()
    assert [guess(n) for n in range(1, 4)] == [404, 429, 429]
    assert len(hashed) == 5 and calls
