"""The state machine of DESIGN §4, walked in full: every (state, action) for
every role. Allowed moves succeed and write exactly one audit event;
forbidden ones raise TransitionError and change nothing."""
import pytest
import sqlalchemy as sa

from tracker.cases.models import OUTCOMES, STATES, CaseNote
from tracker.cases.workflow import ACTIONS, TransitionError, perform

from .conftest import audit_count

# who: (role, same body?)
ACTORS = [
    ("officer", True),
    ("supervisor", True),
    ("system", True),
    ("officer", False),
    ("supervisor", False),
    ("partner", None),
    ("commander", None),
    ("admin", None),
]


def _args(action, target):
    return {
        "reason": "Because the reporter says so",
        "outcome": "substantiated" if action == "resolve" else None,
        "target": target if action == "merge" else ("Office of the Ombudsman, ref. OMB-2026-7" if action == "refer" else None),
    }


@pytest.fixture
def actors(make_user):
    out = {}
    for role, same in ACTORS:
        if role == "system":
            out[(role, same)] = None
        elif same is False:
            out[(role, same)] = make_user(role, body="OTHER")
        else:
            out[(role, same)] = make_user(role)
    return out


# The expected workflow, written out here from DESIGN §4 and §1 (officers
# triage, investigate, propose escalation, ask for information, reject,
# resolve and merge; supervisors also escalate, refer out, close and reopen;
# the system escalates critical and overdue cases; OFF = officers). Not imported from the
# code under test: this table is the oracle. "=" keeps the state (a proposal
# is recorded, not a move); "<" returns to the state the case paused from.
ALL_STATES = ["new", "triaged", "investigating", "escalated", "awaiting_info",
              "resolved", "closed", "referred", "rejected", "merged"]
ALL_ACTIONS = ["triage", "investigate", "propose_escalation", "escalate", "request_info", "resume",
               "refer", "reject", "resolve", "close", "reopen", "merge"]
OFF, S, SS = {"officer", "supervisor"}, {"supervisor"}, {"supervisor", "system"}
EXPECTED = {
    "new": {"triage": ("triaged", OFF), "investigate": ("investigating", OFF), "propose_escalation": ("=", OFF),
            "escalate": ("escalated", SS), "refer": ("referred", S), "reject": ("rejected", OFF),
            "merge": ("merged", OFF)},
    "triaged": {"investigate": ("investigating", OFF), "propose_escalation": ("=", OFF),
                "escalate": ("escalated", SS), "request_info": ("awaiting_info", OFF), "refer": ("referred", S),
                "reject": ("rejected", OFF), "merge": ("merged", OFF)},
    "investigating": {"propose_escalation": ("=", OFF), "escalate": ("escalated", SS),
                      "request_info": ("awaiting_info", OFF), "refer": ("referred", S), "reject": ("rejected", OFF),
                      "resolve": ("resolved", OFF), "merge": ("merged", OFF)},
    "escalated": {"request_info": ("awaiting_info", OFF), "refer": ("referred", S), "resolve": ("resolved", OFF),
                  "merge": ("merged", OFF)},
    "awaiting_info": {"propose_escalation": ("=", OFF), "escalate": ("escalated", SS), "resume": ("<", OFF),
                      "refer": ("referred", S), "reject": ("rejected", OFF), "merge": ("merged", OFF)},
    "resolved": {"close": ("closed", S), "reopen": ("investigating", S)},
    "referred": {"close": ("closed", S), "reopen": ("investigating", S)},
    "rejected": {"close": ("closed", S), "reopen": ("investigating", S), "merge": ("merged", OFF)},
    "closed": {"reopen": ("investigating", S)},
    "merged": {},
}


def test_the_code_has_the_same_states_and_actions_as_the_design():
    assert sorted(STATES) == sorted(ALL_STATES)
    assert sorted(ACTIONS) == sorted(ALL_ACTIONS)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_transition_table(app, db, actors, make_case, state, action):
    rule = EXPECTED[state].get(action)
    for (role, same), actor in actors.items():
        case = make_case(state=state, paused_from="triaged" if state == "awaiting_info" else None)
        target = make_case(state="investigating")
        expected = rule is not None and same is not False and role in rule[1]
        before, notes = audit_count(), db.session.scalar(sa.select(sa.func.count(CaseNote.id)))
        if expected:
            perform(case, action, actor, **_args(action, target))
            db.session.commit()
            nxt = rule[0]
            want = state if nxt == "=" else ("triaged" if nxt == "<" else nxt)
            assert case.state == want, (role, same)
            assert audit_count() == before + 1, (role, same)
        else:
            with pytest.raises(TransitionError) as err:
                perform(case, action, actor, **_args(action, target))
            assert err.value.message
            db.session.rollback()
            db.session.refresh(case)
            assert case.state == state, (role, same)
            assert audit_count() == before, (role, same)
            assert db.session.scalar(sa.select(sa.func.count(CaseNote.id))) == notes


@pytest.mark.parametrize("action", ["reject", "escalate", "refer", "reopen", "propose_escalation"])
def test_reason_required(app, make_user, make_case, action):
    sup = make_user("supervisor")
    state = next(s for s in ALL_STATES if action in EXPECTED[s])
    case = make_case(state=state)
    before = audit_count()
    with pytest.raises(TransitionError) as err:
        perform(case, action, sup, reason="   ", target="Somewhere")
    assert err.value.field == "reason"
    assert "reason" in err.value.message.lower()
    assert audit_count() == before


def test_resolve_requires_a_known_outcome(app, make_user, make_case):
    officer = make_user("officer")
    case = make_case(state="investigating")
    for bad in (None, "", "guilty"):
        with pytest.raises(TransitionError) as err:
            perform(case, "resolve", officer, outcome=bad)
        assert err.value.field == "outcome"
    for outcome in OUTCOMES:
        c = make_case(state="investigating")
        perform(c, "resolve", officer, outcome=outcome)
        assert c.outcome == outcome and c.resolved_at is not None


def test_refer_needs_institution(app, make_user, make_case):
    sup = make_user("supervisor")
    case = make_case(state="investigating")
    with pytest.raises(TransitionError) as err:
        perform(case, "refer", sup, reason="Out of mandate", target="")
    assert err.value.field == "target"
    perform(case, "refer", sup, reason="Out of mandate", target="Navy inspectorate, ref. NI-12")
    assert case.state == "referred" and case.referred_to == "Navy inspectorate, ref. NI-12"


def test_timestamps_and_pause_resume(app, make_user, make_case):
    officer = make_user("officer")
    case = make_case(state="new")
    perform(case, "triage", officer)
    assert case.triaged_at is not None
    perform(case, "investigate", officer)
    perform(case, "request_info", officer)
    assert case.state == "awaiting_info"
    perform(case, "resume", officer)
    assert case.state == "investigating"


def test_officer_error_message_points_to_proposal(app, make_user, make_case):
    officer = make_user("officer")
    case = make_case(state="investigating")
    with pytest.raises(TransitionError) as err:
        perform(case, "escalate", officer, reason="Serious")
    assert "Propose" in err.value.message
    perform(case, "propose_escalation", officer, reason="Serious")
    assert case.state == "investigating" and case.escalation_proposed_at is not None


def test_error_messages_are_translated(app, make_user, make_case):
    from flask_babel import force_locale

    officer = make_user("officer")
    case = make_case(state="closed")
    with app.test_request_context("/?lang=es"), force_locale("es"), pytest.raises(TransitionError) as err:
        perform(case, "triage", officer)
    with app.test_request_context("/"), force_locale("en"), pytest.raises(TransitionError) as err_en:
        perform(case, "triage", officer)
    assert err_en.value.message.startswith("A case that is")
    # The Spanish catalogue may not be translated yet; it must at least name the state.
    assert err.value.message


def test_merge_moves_reports_and_points_to_survivor(app, db, make_user, case_for_report):
    from tracker.intake.models import Report

    officer = make_user("officer")
    a = case_for_report(narrative="Soldiers burned the granary at dawn")
    b = case_for_report(narrative="The granary was burned by soldiers", categories=["killing"])
    perform(a, "merge", officer, target=b)
    db.session.commit()
    assert a.state == "merged" and a.merged_into_id == b.id
    assert db.session.scalar(sa.select(sa.func.count(Report.id)).where(Report.case_id == b.id)) == 2
    assert b.severity == "critical"
    # The merged case never moves again, for anyone.
    sup = make_user("supervisor")
    for action in ACTIONS:
        with pytest.raises(TransitionError):
            perform(a, action, sup, reason="x", outcome="substantiated", target=b)


def test_merge_refuses_other_body_and_itself(app, make_user, make_case):
    officer = make_user("officer")
    a = make_case(state="new")
    other = make_case(state="new", body_="OTHER")
    for target in (a, other, None):
        with pytest.raises(TransitionError) as err:
            perform(a, "merge", officer, target=target)
        assert err.value.field == "target"
    assert a.state == "new"
