"""Channel endpoints (thin views over tracker.channels services).

- OpenRosa for ODK Collect / KoboCollect / Enketo, under the device token:
  ``/openrosa/<token>/formList``, ``/openrosa/<token>/forms/<id>.xml``,
  ``HEAD|POST /openrosa/<token>/submission``;
- KoboToolbox REST Service: ``POST /kobo/<token>/submission`` (JSON);
- SMS/chat webhooks: ``POST /sms/twilio`` (signed), ``POST /sms/rapidpro``;
- the partner's devices on /account: issue (with the ODK Collect QR code),
  revoke, and the XLSForm download.

The token routes and webhooks carry no session and no CSRF token: the device
token, the gateway signature or the shared secret authenticates them.
"""
from __future__ import annotations

import base64
import json
import zlib
from io import BytesIO

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from tracker.accounts.permissions import roles_required
from tracker.channels import gateways, openrosa, services, sms
from tracker.channels.xlsform import FORM_ID, FORM_TITLE, current_form, photo_names, submission_to_raw
from tracker.extensions import csrf, db
from tracker.intake.photos import UploadedPhoto
from tracker.intake.receipts import format_receipt

bp = Blueprint("channels", __name__, template_folder="templates")

XML = "text/xml; charset=utf-8"


class DeviceForm(FlaskForm):
    name = StringField(
        _l("Device name"),
        validators=[DataRequired(_l("Give the device a name, so you recognise it later.")), Length(max=80)],
        description=_l("For example: the name of the monitor who carries the phone, or of the Kobo project."),
    )
    submit = SubmitField(_l("Connect a device"))


class RevokeForm(FlaskForm):
    pass


# --------------------------------------------------------------------------- OpenRosa


def _openrosa(body: bytes, status: int, extra: dict | None = None) -> Response:
    return Response(body, status=status, mimetype=None, content_type=XML, headers=openrosa.headers(extra))


def _device_user(token: str):
    user = services.user_for_device_token(token)
    if user is None:
        db.session.rollback()
    return user


def _unauthorised() -> Response:
    with force_locale(_lang()):
        message = _("This device is not connected, or its access was revoked. Ask your organisation for a new QR code.")
    return _openrosa(openrosa.response(message), 401)


def _lang() -> str:
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.get("/openrosa/<token>/formList")
@csrf.exempt
def form_list(token: str):
    user = _device_user(token)
    if user is None:
        return _unauthorised()
    form = current_form()
    db.session.commit()  # last_used_at
    body = openrosa.form_list([{
        "form_id": FORM_ID,
        "name": _label_in(FORM_TITLE, user.language),
        "version": form.version,
        "md5": form.md5,
        "download_url": url_for("channels.form_download", token=token, form_id=FORM_ID, _external=True),
    }])
    return _openrosa(body, 200)


def _label_in(text, lang: str) -> str:
    with force_locale(lang or _lang()):
        return str(text)


@bp.get("/openrosa/<token>/forms/<form_id>.xml")
@csrf.exempt
def form_download(token: str, form_id: str):
    if _device_user(token) is None:
        return _unauthorised()
    if form_id != FORM_ID:
        abort(404)
    form = current_form()
    db.session.commit()
    return _openrosa(form.xform.encode("utf-8"), 200)


@bp.route("/openrosa/<token>/submission", methods=["HEAD", "POST"])
@csrf.exempt
def submission(token: str):
    user = _device_user(token)
    if user is None:
        return _unauthorised()
    accept = {"X-OpenRosa-Accept-Content-Length": str(current_app.config["MAX_CONTENT_LENGTH"])}
    if request.method == "HEAD":
        db.session.commit()
        return _openrosa(b"", 204, accept)
    with force_locale(user.language or _lang()):
        status, message = _receive_openrosa(user)
    return _openrosa(openrosa.response(message, "submit_success" if status == 201 else ""), status, accept)


def _receive_openrosa(user) -> tuple[int, str]:
    upload = request.files.get("xml_submission_file")
    if upload is None:
        return 400, _("The submission has no xml_submission_file part.")
    try:
        instance = openrosa.parse_instance(upload.read(openrosa.MAX_INSTANCE_BYTES + 1))
    except openrosa.SubmissionError:
        return 400, _("The submitted form could not be read.")
    if instance.form_id != FORM_ID:
        return 400, _("This form is not known here. Update the forms on the device (Get blank form).")
    if instance.deprecated_id:
        return 409, _(
            "This is an edit of a report that was already sent. Edits are not accepted, so that the report is not "
            "counted twice: to add information, use the receipt at /followup or the organisation's report page."
        )
    if not instance.instance_id:
        return 400, _("The submission has no instanceID.")
    attachments = {f.filename: f for key, f in request.files.items(multi=True) if key != "xml_submission_file"}
    photos = []
    for name in photo_names(instance.values):
        if name in attachments:
            photos.append(UploadedPhoto(name, attachments[name].read()))
    raw = submission_to_raw(instance.values, user.language or _lang())
    outcome = services.file_submission(raw, photos=photos, filed_by=user, channel="openrosa",
                                       key=instance.instance_id)
    if not outcome.ok:
        db.session.rollback()
        problems = "; ".join(f"{path}: {text}" for path, text in outcome.errors.items())
        return 400, _("The report was not filed: %(problems)s", problems=problems)
    db.session.commit()
    return 201, _("Report filed. Receipt: %(receipt)s", receipt=format_receipt(outcome.receipt))


# --------------------------------------------------------------------------- Kobo REST Service


@bp.post("/kobo/<token>/submission")
@csrf.exempt
def kobo_submission(token: str):
    user = _device_user(token)
    if user is None:
        return {"error": "unauthorised"}, 401
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return {"error": "expected a JSON object"}, 400
    key = _kobo_root_uuid(payload)
    if key is None:
        return {"error": "no meta/instanceID or _uuid"}, 400
    if payload.get("meta/deprecatedID") and services.already_filed("kobo", key) is None:
        return {"error": "edits of a submission not filed here are not accepted"}, 409
    values = {k.rsplit("/", 1)[-1]: str(v) for k, v in payload.items()
              if isinstance(v, (str, int, float)) and not k.startswith("_")}
    with force_locale(user.language or _lang()):
        outcome = services.file_submission(submission_to_raw(values, user.language or _lang()),
                                           filed_by=user, channel="kobo", key=key)
        if not outcome.ok:
            db.session.rollback()
            return {"errors": {k: str(v) for k, v in outcome.errors.items()}}, 400
    db.session.commit()
    return {"status": "filed" if outcome.created else "already filed",
            "receipt": format_receipt(outcome.receipt)}, 201 if outcome.created else 200


def _kobo_root_uuid(payload: dict) -> str | None:
    """The submission's root UUID: stays the same across edits in Kobo."""
    for name in ("meta/rootUuid", "meta/instanceID", "_uuid"):
        value = payload.get(name)
        if isinstance(value, str) and value.strip():
            value = value.strip()
            return value[5:] if value.startswith("uuid:") else value
    return None


# --------------------------------------------------------------------------- SMS / chat


@bp.post("/sms/twilio")
@csrf.exempt
def twilio_webhook():
    if not gateways.twilio_configured():
        abort(404)
    params = request.form.to_dict()
    if not gateways.twilio_signature_valid(_public_url(), params, request.headers.get("X-Twilio-Signature")):
        abort(403)
    sender, text = params.get("From", ""), params.get("Body", "")
    if not sender:
        abort(400)
    replies = sms.handle_message(sms.InboundMessage("twilio", sender, text, params.get("MessageSid")))
    db.session.commit()
    return Response(gateways.twiml(replies), content_type="application/xml; charset=utf-8")


def _public_url() -> str:
    """The URL Twilio signed: the configured public base (behind a proxy the
    request's own URL may differ) or the request URL."""
    base = current_app.config.get("TRACKER_BASE_URL")
    if base:
        return base.rstrip("/") + request.full_path.rstrip("?")
    return request.url


@bp.post("/sms/rapidpro")
@csrf.exempt
def rapidpro_webhook():
    if not gateways.rapidpro_configured():
        abort(404)
    if not gateways.rapidpro_authorised(request.headers.get("Authorization")):
        abort(403)
    inbound = gateways.rapidpro_inbound(request.get_json(silent=True))
    if inbound is None:
        return {"error": "expected contact.urn and input.text (or from and text)"}, 400
    sender, text, message_id = inbound
    replies = sms.handle_message(sms.InboundMessage("rapidpro", sender, text, message_id))
    db.session.commit()
    return {"reply": "\n\n".join(replies), "messages": replies}


# --------------------------------------------------------------------------- the partner's devices


def odk_settings(server_url: str, name: str) -> dict:
    """ODK Collect's settings for this server (what its QR code carries)."""
    return {
        "general": {"server_url": server_url, "username": "", "password": "", "form_update_mode": "match_exactly",
                    "autosend": "wifi_and_cellular"},
        "admin": {"edit_saved": False},
        "project": {"name": name, "icon": "T", "color": "#1f5f8b"},
    }


def odk_qr_payload(settings: dict) -> str:
    """ODK Collect's QR format: the settings JSON, zlib-compressed, base64."""
    return base64.b64encode(zlib.compress(json.dumps(settings).encode("utf-8"))).decode("ascii")


def _qr_svg(data: str) -> Markup:
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=6, border=2)
    buf = BytesIO()
    img.save(buf)
    svg = buf.getvalue().decode("utf-8")
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1]
    return Markup(svg)  # generated by qrcode from our own data: no user markup inside


@bp.post("/account/devices")
@roles_required("partner")
def issue_device():
    form = DeviceForm(prefix="dev")
    if not form.validate_on_submit():
        for error in form.name.errors:
            flash(str(error), "error")
        return redirect(url_for("accounts.account") + "#devices")
    try:
        token, plain = services.issue_device_token(current_user, form.name.data)
    except services.ChannelError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("accounts.account") + "#devices")
    db.session.commit()
    server_url = url_for("channels.openrosa_root", token=plain, _external=True)
    settings = odk_settings(server_url, f"Tracker · {token.name}")
    return render_template(
        "channels/device_issued.html", token=token, server_url=server_url,
        kobo_url=url_for("channels.kobo_submission", token=plain, _external=True),
        qr=_qr_svg(odk_qr_payload(settings)),
    )


@bp.get("/openrosa/<token>")
@csrf.exempt
def openrosa_root(token: str):
    """The server URL itself (Collect only appends paths to it)."""
    if _device_user(token) is None:
        return _unauthorised()
    return _openrosa(b"", 204)


@bp.post("/account/devices/<int:device_id>/revoke")
@roles_required("partner")
def revoke_device(device_id: int):
    if not RevokeForm(prefix="devrev").validate_on_submit():
        abort(400)
    if not services.revoke_device_token(current_user, device_id):
        abort(404)
    db.session.commit()
    flash(_("The device is disconnected. It can no longer send reports."), "success")
    return redirect(url_for("accounts.account") + "#devices")


@bp.get("/account/devices/form.xlsx")
@roles_required("partner")
def xlsform_download():
    form = current_form()
    return Response(
        form.xlsx,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{FORM_ID}.xlsx"'},
    )


@bp.app_context_processor
def _devices_on_account():
    """The partner's devices, for the section that /account includes."""

    def partner_devices():
        if not services.can_manage_devices(current_user):
            return None
        return {"devices": services.device_tokens(current_user), "form": DeviceForm(prefix="dev", formdata=None),
                "revoke_form": RevokeForm(prefix="devrev")}

    return {"partner_devices": partner_devices}
