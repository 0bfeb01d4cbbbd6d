"""Photo uploads: checked by content, limited, re-encoded without metadata.

Rules (DESIGN §3, §8):

- the type is read from the bytes, never from the file name or the browser:
  JPEG, PNG and WebP are accepted; HEIC (iPhone default) gets its own message;
- at most MAX_PHOTO_BYTES bytes and MAX_PHOTO_PIXELS pixels; the pixel count is
  read from the header before anything is decoded, and Pillow's own
  decompression-bomb guard is set to the same limit as a second line;
- memory is bounded (issue 8 item 6: a worker stays under 200 MiB): a JPEG is
  decoded at a reduced scale (``draft``: the DCT scales it down while
  decoding), but PNG and WebP can only be decoded whole, at 4 bytes a pixel,
  so they may have at most MAX_PHOTO_FULL_DECODE_PIXELS pixels (a real photo
  that large as PNG would exceed MAX_PHOTO_BYTES anyway; what is refused is
  a synthetic or bomb-like image). Decoded images are reduced at once and
  each step drops the previous copy; photos are processed one at a time;
- one request may carry at most MAX_REQUEST_PIXELS pixels across all its
  photos (read from the headers before any photo is decoded), which bounds
  the time a worker spends on one upload;
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
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from tracker.core.crypto import sha256_hex

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 85
DEFAULT_MAX_EDGE = 3072  # long side of the stored copy; ≤ 36 MiB decoded
DEFAULT_FULL_DECODE_PIXELS = 12_000_000  # PNG/WebP: 48 MB decoded (4 bytes a pixel)
DEFAULT_REQUEST_PIXELS = 120_000_000  # all photos of one request, from their headers


class PhotoError(ValueError):
    """A photo that cannot be accepted; ``message`` is translated for the reporter."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class UploadedPhoto:
    """A photo as received: file name (only used in messages) and bytes, or
    a stream to read them from when the photo's turn comes (an upload that
    Werkzeug spooled to disk then stays there until it is processed)."""

    filename: str
    data: bytes | None = None
    stream: BinaryIO | None = None

    def read(self, limit: int) -> bytes:
        """The bytes (at most ``limit`` + 1, enough to tell it is too large)."""
        if self.data is not None:
            return self.data
        if self.stream is None:
            return b""
        self.stream.seek(0)
        return self.stream.read(limit + 1)


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


def _decode_scale(width: int, height: int, max_edge: int) -> int:
    """The smallest JPEG decoding scale (1, 2, 4 or 8) that brings the long
    side down to ``max_edge`` or below."""
    scale = 1
    while scale < 8 and -(-max(width, height) // scale) > max_edge:
        scale *= 2
    return scale


def _replace(old: Image.Image, new: Image.Image) -> Image.Image:
    """Return ``new`` after freeing ``old``'s pixels (unless they are the same)."""
    if new is not old:
        old.close()
    return new


def _flatten(img: Image.Image) -> Image.Image:
    """A fresh RGB image (no info of the original); transparency becomes white."""
    background = Image.new("RGB", img.size, (255, 255, 255))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        rgba.close()
        return background
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.point(lambda v: v / 256).convert("L")
    background.paste(img if img.mode in ("RGB", "L") else img.convert("RGB"))
    return background


def process_photo(filename: str, data: bytes) -> ProcessedPhoto:
    """Check and clean one photo; raise PhotoError with a translated message."""
    name = (filename or "").strip()[:100] or _("photo")
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    max_pixels = current_app.config["MAX_PHOTO_PIXELS"]
    max_edge = current_app.config.get("PHOTO_MAX_EDGE", DEFAULT_MAX_EDGE)
    full_decode_pixels = min(max_pixels, current_app.config.get("MAX_PHOTO_FULL_DECODE_PIXELS", DEFAULT_FULL_DECODE_PIXELS))
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
                # Decode at 1/2, 1/4 or 1/8 scale so that the long side is at
                # most max_edge: the full-size image is never in memory.
                scale = _decode_scale(width, height, max_edge)
                img.draft("RGB", (-(-width // scale), -(-height // scale)))
            elif width * height > full_decode_pixels:
                raise PhotoError(
                    _("%(name)s has too many pixels (at most %(mp)s megapixels).", name=name,
                      mp=full_decode_pixels // 1_000_000 or 1)
                )
            img.load()
            # From here each step makes a new image and drops the previous
            # one at once: at most two copies exist at any time.
            factor = -(-max(img.size) // max_edge)
            if factor >= 2:
                img = _replace(img, img.reduce(factor))  # box reduction, before any other copy
            ImageOps.exif_transpose(img, in_place=True)  # a copy only when it must turn
            # A fresh image: nothing of the original's info (EXIF, GPS, XMP,
            # ICC, comments) can travel with it.
            clean = _replace(img, _flatten(img))
            del img
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
    budget = current_app.config.get("MAX_REQUEST_PIXELS", DEFAULT_REQUEST_PIXELS)
    spent = 0
    over_budget = False
    processed: list[ProcessedPhoto] = []
    max_bytes = current_app.config["MAX_PHOTO_BYTES"]
    for photo in photos:
        # One upload in memory at a time; the per-request pixel budget is
        # checked on the header alone, before this photo is decoded.
        data = photo.read(max_bytes)
        pixels = header_pixels(data)
        if spent + pixels > budget:
            over_budget = True
            continue
        spent += pixels
        try:
            processed.append(process_photo(photo.filename, data))
        except PhotoError as exc:
            errors.append(exc.message)
        del data
    if over_budget:
        errors.append(
            _("Together the photos have too many pixels: at most %(mp)s megapixels in one report. "
              "Send fewer or smaller photos.", mp=budget // 1_000_000 or 1)
        )
    return processed, errors


def header_pixels(data: bytes) -> int:
    """Width × height read from the image header without decoding (0 when
    the header cannot be read: process_photo then refuses the photo)."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as img:
                width, height = img.size
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        return 0
    return width * height
