"""OpenRosa wire format: form list, submission parsing, responses.

What ODK Collect, KoboCollect and Enketo expect (OpenRosa 1.0): every
response carries ``X-OpenRosa-Version: 1.0`` and a ``Date``; ``HEAD
submission`` answers 204 with ``X-OpenRosa-Accept-Content-Length``; a
submission is a multipart POST whose ``xml_submission_file`` part is the
instance, other parts its attachments; success is 201 with an
``OpenRosaResponse`` message, which Collect shows to the user.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formatdate
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

OPENROSA_VERSION = "1.0"
XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
RESPONSE_NS = "http://openrosa.org/http/response"
MAX_INSTANCE_BYTES = 1024 * 1024


class SubmissionError(ValueError):
    """The instance XML cannot be read."""


@dataclass
class Instance:
    form_id: str | None
    version: str | None
    instance_id: str | None
    deprecated_id: str | None
    values: dict[str, str] = field(default_factory=dict)


def headers(extra: dict | None = None) -> dict:
    out = {"X-OpenRosa-Version": OPENROSA_VERSION, "Date": formatdate(usegmt=True)}
    out.update(extra or {})
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_instance(xml: bytes) -> Instance:
    """Read a submitted instance: the form id and version from the root's
    attributes, meta/instanceID and meta/deprecatedID, and the text of every
    leaf element by its local name (groups are flattened)."""
    if len(xml) > MAX_INSTANCE_BYTES:
        raise SubmissionError("instance too large")
    try:
        root = SafeET.fromstring(xml)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise SubmissionError("not well-formed XML") from exc
    values: dict[str, str] = {}
    meta: dict[str, str] = {}
    for parent in root.iter():
        for child in list(parent):
            if len(child):
                continue
            name = _local(child.tag)
            text = (child.text or "").strip()
            if _local(parent.tag) == "meta":
                meta[name] = text
            else:
                values.setdefault(name, text)
    return Instance(
        form_id=root.get("id"),
        version=root.get("version"),
        instance_id=meta.get("instanceID") or None,
        deprecated_id=meta.get("deprecatedID") or None,
        values=values,
    )


def form_list(forms: list[dict]) -> bytes:
    """The OpenRosa xformsList document for ``forms`` (dicts with form_id,
    name, version, md5, download_url)."""
    root = Element("xforms", xmlns=XFORMS_LIST_NS)
    for form in forms:
        item = SubElement(root, "xform")
        SubElement(item, "formID").text = form["form_id"]
        SubElement(item, "name").text = form["name"]
        SubElement(item, "version").text = form["version"]
        SubElement(item, "hash").text = "md5:" + form["md5"]
        SubElement(item, "downloadUrl").text = form["download_url"]
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")


def response(message: str, nature: str = "") -> bytes:
    """An OpenRosaResponse carrying a message for the person at the device."""
    root = Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    node = SubElement(root, "message")
    if nature:
        node.set("nature", nature)
    node.text = message
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8")
