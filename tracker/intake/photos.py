"""Photo uploads: checked by content, limited, re-encoded without metadata.

Rules (DESIGN §3, §8):

- the type is read from the bytes, never from the file name or the browser:
  JPEG, PNG and WebP are accepted; HEIC (iPhone default) gets its own message;
- at most MAX_PHOTO_BYTES bytes and MAX_PHOTO_PIXELS pixels; the pixel count is
  read from the header before anything is decoded, and Pillow's own
  decompression-bomb guard is set to the same limit as a second line;
- the image is turned upright (EXIF orientation), then re-encoded as a fresh
  JPEG (quality 85) carrying no EXIF, GPS, XMP, ICC or comments at all; images
  larger than PHOTO_MAX_EDGE pixels on their long side are scaled down;
- the SHA-256 of the bytes exactly as uploaded is kept as evidence that a
  copy held elsewhere is the same photo.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from tracker.core.crypto import sha256_hex

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 85
DEFAULT_MAX_EDGE = 4096


class PhotoError(ValueError):
    """A photo that cannot be accepted; ``message`` is translated for the reporter."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class UploadedPhoto:
    """A photo as received: file name (only used in messages) and bytes."""

    filename: str
    data: bytes


@dataclass
class ProcessedPhoto:
    """A photo ready to store: clean JPEG bytes plus the original's fingerprint."""

    content: bytes
    original_sha256: str
    original_size: int
    width: int
    height: int
    mime_type: str = "image/jpeg"


def _is_heif(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in (
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif",
    )


def _flatten(img: Image.Image) -> Image.Image:
    """Any mode → RGB; transparency becomes white."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        return background
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.point(lambda v: v / 256).convert("L")
    return img.convert("RGB")


def process_photo(filename: str, data: bytes) -> ProcessedPhoto:
    """Check and clean one photo; raise PhotoError with a translated message."""
    name = (filename or "").strip()[:100] or _("photo")
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    max_pixels = current_app.config["MAX_PHOTO_PIXELS"]
    max_edge = current_app.config.get("PHOTO_MAX_EDGE", DEFAULT_MAX_EDGE)
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise PhotoError(_("%(name)s is empty.", name=name))
    if len(data) > max_bytes:
        raise PhotoError(_("%(name)s is too large: a photo may be at most %(mb)s MB.", name=name, mb=max_bytes // (1024 * 1024)))
    if _is_heif(data):
        raise PhotoError(
            _("%(name)s is a HEIC photo, which we cannot read. Please send it as JPEG "
              "(on an iPhone: Settings, Camera, Formats, Most Compatible), or take a screenshot of it.", name=name)
        )
    Image.MAX_IMAGE_PIXELS = max_pixels
    original = bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(original), formats=list(ACCEPTED_FORMATS))
            width, height = img.size
            if width * height > max_pixels:
                raise PhotoError(
                    _("%(name)s has too many pixels (at most %(mp)s megapixels).", name=name, mp=max_pixels // 1_000_000 or 1)
                )
            if img.format == "JPEG":
                img.draft("RGB", (max_edge, max_edge))  # decode large JPEGs at reduced size
            img.load()
            img = ImageOps.exif_transpose(img) or img
            img = _flatten(img)
            if max(img.size) > max_edge:
                img.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS)
            # A fresh image: nothing of the original's info (EXIF, GPS, XMP,
            # ICC, comments) can travel with it.
            clean = Image.frombytes("RGB", img.size, img.tobytes())
            out = io.BytesIO()
            clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(
            _("%(name)s has too many pixels (at most %(mp)s megapixels).", name=name, mp=max_pixels // 1_000_000 or 1)
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, MemoryError):
        raise PhotoError(_("%(name)s is not a photo we can read. Please send JPEG, PNG or WebP images.", name=name)) from None
    return ProcessedPhoto(
        content=out.getvalue(),
        original_sha256=sha256_hex(original),
        original_size=len(original),
        width=clean.width,
        height=clean.height,
    )


def process_photos(photos: list[UploadedPhoto]) -> tuple[list[ProcessedPhoto], list[str]]:
    """Process several photos; return the clean ones and one message per
    rejected photo (and one if there are more than MAX_PHOTOS)."""
    limit = current_app.config["MAX_PHOTOS"]
    errors: list[str] = []
    if len(photos) > limit:
        errors.append(_("You can send at most %(n)s photos.", n=limit))
        photos = photos[:limit]
    processed: list[ProcessedPhoto] = []
    for photo in photos:
        try:
            processed.append(process_photo(photo.filename, photo.data))
        except PhotoError as exc:
            errors.append(exc.message)
    return processed, errors
