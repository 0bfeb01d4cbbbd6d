"""Every (status, action) pair of a commander response, allowed moves and
forbidden ones, against a table written out here from DESIGN §5 (a
commander sends, a supervisor of the overseeing body approves or returns
with a note; an approved response is final and only it can be translated),
not imported from the code."""
from datetime import date

import pytest

from tracker.responses import workflow
from tracker.responses.models import CommanderResponse

STATUSES = ("draft", "submitted", "returned", "approved")
ACTIONS = ("submit", "approve", "return", "translate")
# status → {action: next status}; a missing action is refused.
EXPECTED = {
    "draft": {"submit": "submitted"},
    "submitted": {"approve": "approved", "return": "returned"},
    "returned": {"submit": "submitted"},
    "approved": {"translate": "approved"},
}


def _do(action, resp, commander, supervisor):
    if action == "submit":
        workflow.submit(commander, resp)
    elif action == "approve":
        workflow.approve(supervisor, resp)
    elif action == "return":
        workflow.return_for_changes(supervisor, resp, "Say which unit.")
    else:
        workflow.add_translation(supervisor, resp, language="fr", text="Nous avons agi.", languages={"fr": "Français"})


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_move(db, make_user, status, action):
    commander, supervisor = make_user("commander"), make_user("supervisor")
    resp = CommanderResponse(force_id=commander.force_id, author_id=commander.id, period_start=date(2026, 11, 1),
                             text="Hicimos algo.", language="es", status=status)
    db.session.add(resp)
    db.session.commit()
    expected = EXPECTED[status].get(action)
    if expected is None:
        with pytest.raises(workflow.ResponseError):
            _do(action, resp, commander, supervisor)
        db.session.rollback()
        stored = db.session.get(CommanderResponse, resp.id)
        assert stored.status == status and stored.translations == []
    else:
        _do(action, resp, commander, supervisor)
        assert resp.status == expected
        assert (len(resp.translations) == 1) == (action == "translate")


@pytest.mark.parametrize("action", ["approve", "return", "translate"])
def test_a_commander_never_reviews_or_translates(db, make_user, action):
    commander = make_user("commander")
    status = "approved" if action == "translate" else "submitted"
    resp = CommanderResponse(force_id=commander.force_id, author_id=commander.id, period_start=date(2026, 11, 1),
                             text="Hicimos algo.", language="es", status=status)
    db.session.add(resp)
    db.session.flush()
    with pytest.raises(workflow.ResponseError):
        _do(action, resp, commander, commander)
    assert resp.status == status and resp.translations == []
