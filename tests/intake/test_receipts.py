"""Receipt codes: 16 random digits, four groups, typed back in any script."""
import sqlalchemy as sa

from tracker.intake.models import Report
from tracker.intake.receipts import format_receipt, generate_receipt, hash_receipt, normalise_receipt


def test_generated_receipts_are_16_digits_and_vary():
    codes = {generate_receipt() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 16 and c.isascii() and c.isdigit() for c in codes)
    # uniform over all 16 positions: a leading zero must be possible
    firsts = {c[0] for c in codes}
    assert len(firsts) >= 8


def test_format_in_four_groups():
    assert format_receipt("0123456789012345") == "0123 4567 8901 2345"


def test_normalise_accepts_what_people_type():
    digits = "0123456789012345"
    for typed in [
        "0123 4567 8901 2345",
        "0123-4567-8901-2345",
        " 0123456789012345 ",
        "٠١٢٣ ٤٥٦٧ ٨٩٠١ ٢٣٤٥",  # Arabic-Indic
        "۰۱۲۳-۴۵۶۷-۸۹۰۱-۲۳۴۵",  # Eastern Arabic-Indic
        "０１２３ ４５６７ ８９０１ ２３４５",  # full-width
        "\u20660123 4567 8901 2345\u2069",  # pasted from an Arabic page
        "0123\u00a04567\u00a08901\u00a02345",
    ]:
        assert normalise_receipt(typed) == digits, typed


def test_normalise_refuses_anything_else():
    for typed in ["", "0123 4567 8901 234", "0123 4567 8901 23456", "0123 4567 8901 234x", None, 1234, ["1"],
                  "1" * 200, "0x23456789012345"]:
        assert normalise_receipt(typed) is None, typed


def test_only_the_hash_is_stored(make_report, db):
    report, receipt = make_report()
    assert report.receipt_hash == hash_receipt(receipt)
    assert receipt not in report.receipt_hash
    # keyed and deterministic: the same code always finds the report
    assert db.session.scalar(sa.select(Report).where(Report.receipt_hash == hash_receipt(receipt))) is report
