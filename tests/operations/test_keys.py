"""``flask --app tracker keys rotate`` (issue 8, item 8): every encrypted
field re-encrypted under the new first key, in batches, while the site runs."""
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from tests.fixtures.factories import make_jpeg
from tracker.cases.models import CaseNote
from tracker.core.crypto import decrypt_bytes
from tracker.extensions import db as _db
from tracker.intake import services
from tracker.intake.models import Message, Report
from tracker.intake.photos import UploadedPhoto, process_photos
from tracker.operations import keys

NEW = Fernet.generate_key().decode()


def encrypted_values(db) -> list[tuple[str, bytes]]:
    """Every non-null value of every binary column, read straight from the tables."""
    values = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.LargeBinary):
                for (value,) in db.session.execute(sa.select(column).where(column.is_not(None))):
                    values.append((f"{table.name}.{column.name}", bytes(value)))
    return values


def opens_with(key: str, token: bytes) -> bool:
    try:
        Fernet(key.encode()).decrypt(token)
    except InvalidToken:
        return False
    return True


def fill(app, db, make_user):
    """A report with every encrypted thing: contact, narrative, place, unit
    description, a photo, a reporter message, an idempotency key's receipt,
    a case note, and a staff user's TOTP secret."""
    from tests.fixtures.factories import create_report

    photos, errors = process_photos([UploadedPhoto("a.jpg", make_jpeg(80, 60))])
    assert not errors
    report, receipt = create_report(photos=photos, idempotency_key="rotate-test-key-000001")
    services.add_reporter_message(report, "More information from me.")
    db.session.add(CaseNote(case_id=report.case_id, kind="note", body="An internal note"))
    db.session.commit()
    make_user("supervisor")  # TOTP enrolled
    for n in range(4):
        create_report(narrative=f"Report number {n}")
    return receipt


def test_every_binary_column_is_an_encrypted_one(db):
    """Rotation finds encrypted columns by their *_enc name: a binary column
    without it would be missed (or is not encrypted, which it should be)."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.LargeBinary):
                assert column.name.endswith("_enc"), f"{table.name}.{column.name}"
    names = {f"{t.name}.{c.name}" for t, cols in keys.encrypted_columns(db.metadata) for c in cols}
    assert {"report.narrative_enc", "report.contact_enc", "photo.content_enc", "message.body_enc",
            "case_note.body_enc", "user.totp_secret_enc", "idempotency_key.receipt_enc"} <= names


def test_rotate_re_encrypts_everything_under_the_new_key(app, db, runner, make_user):
    old = app.config["TRACKER_FIELD_KEYS"]
    receipt = fill(app, db, make_user)
    before = encrypted_values(db)
    assert len(before) >= 15 and all(opens_with(old, v) for _, v in before)

    app.config["TRACKER_FIELD_KEYS"] = f"{NEW},{old}"
    result = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "report: 2 rows" in result.output  # committed in batches
    db.session.expire_all()
    after = encrypted_values(db)
    assert len(after) == len(before)
    assert all(opens_with(NEW, v) and not opens_with(old, v) for _, v in after), \
        [n for n, v in after if not opens_with(NEW, v)]

    # Only the new key now: everything still reads, the receipt still opens its report.
    app.config["TRACKER_FIELD_KEYS"] = NEW
    db.session.expire_all()
    found = services.lookup_report(receipt)
    assert found is not None and found.contact["name"] == "Amina"
    assert decrypt_bytes(found.photos[0].content_enc).startswith(b"\xff\xd8")
    assert [m.body for m in db.session.scalars(sa.select(Message))] == ["More information from me."]
    assert db.session.scalar(sa.select(CaseNote)).body == "An internal note"

    status = runner.invoke(args=["keys", "status"])
    assert "Nothing left under older keys." in status.output

    # Running it again changes nothing.
    again = runner.invoke(args=["keys", "rotate"])
    assert "Re-encrypted 0 values" in again.output


def test_a_value_the_site_changes_meanwhile_is_not_overwritten(app, db, make_user):
    old = app.config["TRACKER_FIELD_KEYS"]
    fill(app, db, make_user)
    app.config["TRACKER_FIELD_KEYS"] = f"{NEW},{old}"
    last_id = db.session.scalar(sa.select(sa.func.max(Report.id)))

    def site_writes(table, done):
        # The site, now encrypting with the new key, edits a report the
        # command has not reached yet... and one it has passed.
        if table == "report" and done == 2:
            with app.app_context():
                report = _db.session.get(Report, last_id)
                report.narrative = "Corrected by the officer"
                _db.session.commit()

    result = keys.rotate_all(db.session, db.metadata, batch_size=2, progress=site_writes)
    assert result.total_rotated > 0
    db.session.expire_all()
    assert db.session.get(Report, last_id).narrative == "Corrected by the officer"
    assert all(opens_with(NEW, v) for _, v in encrypted_values(db))
