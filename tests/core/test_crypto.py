"""Field encryption with key rotation: the first key encrypts, all decrypt."""
import pytest
from cryptography.fernet import Fernet

from tracker.core import crypto

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def test_rotation_new_key_first_keeps_old_data_readable(app):
    app.config["TRACKER_FIELD_KEYS"] = OLD
    token = crypto.encrypt_text("مرحبا — the narrative")
    assert b"narrative" not in token

    app.config["TRACKER_FIELD_KEYS"] = f"{NEW},{OLD}"
    assert crypto.decrypt_text(token) == "مرحبا — the narrative"
    rotated = crypto.rotate(token)

    app.config["TRACKER_FIELD_KEYS"] = NEW
    assert crypto.decrypt_text(rotated) == "مرحبا — the narrative"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text(token)


def test_bad_keys_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="Fernet"):
        crypto.validate_keys("not-a-key")
    with pytest.raises(ValueError, match="empty"):
        crypto.validate_keys(" , ")


def test_receipt_hash_depends_on_the_pepper(app):
    first = crypto.receipt_hash("1234567812345678")
    assert first == crypto.receipt_hash("1234567812345678")
    assert "1234567812345678" not in first
    app.config["TRACKER_RECEIPT_PEPPER"] = "another-pepper"
    assert crypto.receipt_hash("1234567812345678") != first
