"""Photos: checked by content, limited, re-encoded without any metadata."""
import io

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.fixtures.factories import make_jpeg
from tracker.core.crypto import decrypt_bytes, sha256_hex
from tracker.intake.models import Photo
from tracker.intake.photos import PhotoError, UploadedPhoto, process_photo, process_photos


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_generated_fixture_really_carries_gps():
    img = _open(make_jpeg(gps=True))
    exif = img.getexif()
    assert exif.get(0x010F) == "SecretCam"
    assert exif.get_ifd(0x8825).get(1) == "N"


def test_stored_photo_has_no_exif_or_gps_and_keeps_the_original_hash(make_report, db):
    original = make_jpeg(gps=True)
    report, _ = make_report(photos=[UploadedPhoto("IMG_0001.jpg", original)])
    photo = db.session.scalars(sa.select(Photo)).one()
    assert photo.report_id == report.id
    assert photo.original_sha256 == sha256_hex(original) and photo.original_size == len(original)
    assert b"SecretCam" not in photo.content_enc
    clean = decrypt_bytes(photo.content_enc)
    assert clean != original
    img = _open(clean)
    assert img.format == "JPEG" and photo.mime_type == "image/jpeg"
    assert len(img.getexif()) == 0
    assert "exif" not in img.info and "icc_profile" not in img.info and "xmp" not in img.info
    assert b"Exif" not in clean and b"SecretCam" not in clean and b"GPS" not in clean
    assert (photo.width, photo.height) == img.size == (64, 48)


def test_exif_orientation_is_applied_before_stripping(app):
    # Orientation 6: the viewer must rotate 90° clockwise; stored upright.
    result = process_photo("side.jpg", make_jpeg(64, 48, orientation=6))
    img = _open(result.content)
    assert img.size == (48, 64)
    assert len(img.getexif()) == 0


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_become_jpeg(app, fmt):
    buf = io.BytesIO()
    Image.new("RGBA", (30, 20), (0, 128, 0, 100)).save(buf, fmt)
    result = process_photo("x." + fmt.lower(), buf.getvalue())
    assert _open(result.content).format == "JPEG" and (result.width, result.height) == (30, 20)


def test_type_is_checked_by_content_not_name(app):
    with pytest.raises(PhotoError) as exc:
        process_photo("holiday.jpg", b"<html><script>alert(1)</script></html>")
    assert "holiday.jpg" in exc.value.message and "JPEG, PNG or WebP" in exc.value.message
    gif = io.BytesIO()
    Image.new("RGB", (5, 5)).save(gif, "GIF")
    with pytest.raises(PhotoError, match="JPEG, PNG or WebP"):
        process_photo("anim.jpg", gif.getvalue())
    with pytest.raises(PhotoError, match="empty"):
        process_photo("empty.jpg", b"")


def test_truncated_jpeg_is_refused_cleanly(app):
    data = make_jpeg(200, 200)
    with pytest.raises(PhotoError, match="not a photo we can read"):
        process_photo("cut.jpg", data[: len(data) // 3])


def test_heic_gets_its_own_message(app):
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    with pytest.raises(PhotoError, match="HEIC"):
        process_photo("IMG_1234.HEIC", heic)


def test_too_big_is_refused(app):
    app.config["MAX_PHOTO_BYTES"] = 1024 * 1024
    with pytest.raises(PhotoError, match="at most 1 MB"):
        process_photo("big.jpg", b"\xff\xd8" + b"0" * (1024 * 1024))


def test_too_many_pixels_is_refused(app):
    app.config["MAX_PHOTO_PIXELS"] = 1_000_000
    with pytest.raises(PhotoError, match="too many pixels"):
        process_photo("huge.jpg", make_jpeg(1200, 1000))


def test_decompression_bomb_is_refused_without_decoding(app):
    # 8000 x 6000 = 48 MP, above the 40 MP default; a few KB compressed.
    buf = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buf, "PNG")
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(PhotoError, match="too many pixels"):
        process_photo("bomb.png", buf.getvalue())


def test_large_photos_are_scaled_down(app):
    app.config["PHOTO_MAX_EDGE"] = 100
    result = process_photo("wide.jpg", make_jpeg(400, 200))
    assert max(result.width, result.height) == 100


def test_process_photos_collects_messages_and_limits_the_count(app):
    ok = UploadedPhoto("a.jpg", make_jpeg())
    bad = UploadedPhoto("b.jpg", b"nope")
    processed, errors = process_photos([ok, bad])
    assert len(processed) == 1 and len(errors) == 1 and "b.jpg" in errors[0]
    processed, errors = process_photos([ok] * 6)
    assert any("at most 5 photos" in e for e in errors)
