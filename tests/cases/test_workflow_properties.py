"""Property-based test of the workflow: random sequences of actions by random
actors on a few cases. Whatever happens, states stay valid, each success
writes exactly one audit event and each refusal none, a merged case never
moves again, and the audit chain verifies."""
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.audit.service import verify
from tracker.cases.models import OUTCOMES, STATES, Case
from tracker.cases.workflow import ACTIONS, TransitionError, perform

from .conftest import audit_count

ACTORS = ["officer", "supervisor", "system", "other_officer", "commander"]

step = st.tuples(
    st.integers(min_value=0, max_value=2),  # which case
    st.sampled_from(sorted(ACTIONS)),
    st.sampled_from(ACTORS),
    st.sampled_from(["", "a reason"]),
    st.sampled_from([None, *OUTCOMES]),
    st.integers(min_value=0, max_value=2),  # merge target
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=30))
def test_random_action_sequences_keep_the_workflow_sound(app, db, make_user, make_case, steps):
    actors = {
        "officer": make_user("officer"),
        "supervisor": make_user("supervisor", totp=False),
        "system": None,
        "other_officer": make_user("officer", body="OTHER"),
        "commander": make_user("commander"),
    }
    cases = [make_case(state="new") for _ in range(3)]
    merged_states: dict[int, str] = {}
    for idx, action, who, reason, outcome, target_idx in steps:
        case = cases[idx]
        target = cases[target_idx] if action == "merge" else ("Ombudsman ref 7" if action == "refer" else None)
        before_state, before_events = case.state, audit_count()
        try:
            perform(case, action, actors[who], reason=reason, outcome=outcome, target=target)
        except TransitionError:
            db.session.rollback()
            db.session.refresh(case)
            assert case.state == before_state
            assert audit_count() == before_events
        else:
            db.session.commit()
            assert audit_count() == before_events + 1
            assert before_state != "merged"
            if case.state == "merged":
                merged_states[case.id] = "merged"
        for c in cases:
            assert c.state in STATES
        for cid in merged_states:
            assert db.session.get(Case, cid).state == "merged"
    assert verify().ok
    # Every report-less case still counts once in its body.
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) >= 3
