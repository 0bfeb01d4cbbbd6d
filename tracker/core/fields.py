"""Field types of request bodies: for each value, one definition of the
check, of the message a person reads when it fails, and of its JSON Schema in
the OpenAPI document (tracker/api/openapi.py).

Built on marshmallow (checking) and apispec (the document). Each field checks
and converts one value in ``_deserialize`` and describes what it accepts in
``json_schema()``, from the same attributes (``limit``, ``choices``,
``minimum`` …), so the document cannot say one thing and the check another.

Two ways of reading, chosen per call of :func:`load`:

- strict (JSON API): every value must already have its JSON type
  (``"killed": "3"`` or ``"killed": true`` is an error);
- lenient (HTML form, OpenRosa/Kobo, SMS): strings are converted
  (``"3"`` → 3, ``"y"``/``"on"`` → True, ``""`` → not given).

``None`` and a missing key mean "not given": the field's ``default``, or its
``required`` message. Messages are translated when the error happens (the
request's language) and are reported under dotted paths (``"harm.killed"``).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar

from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing

_strict: ContextVar[bool] = ContextVar("strict_types", default=True)

_TRUE = {"1", "true", "y", "yes", "on"}
_FALSE = {"", "0", "false", "n", "no", "off"}


class Body(Schema):
    """A request body: unknown keys are ignored (DESIGN §10)."""

    class Meta:
        unknown = EXCLUDE


def load(schema: Schema, raw: Mapping, *, strict_types: bool) -> tuple[dict, dict[str, str]]:
    """Check ``raw`` against ``schema``: (clean values, {dotted path: message}).

    Values that passed are returned even when others failed, so rules across
    fields can still read them. Never raises on bad input."""
    token = _strict.set(strict_types)
    try:
        return schema.load(raw), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        _flatten(exc.messages, "", errors)
        return (exc.valid_data if isinstance(exc.valid_data, dict) else {}), errors
    finally:
        _strict.reset(token)


def _flatten(messages, prefix: str, out: dict[str, str]) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(messages, list):
        if messages and not isinstance(messages[0], (dict, list)):
            out.setdefault(prefix, str(messages[0]))
        else:
            for value in messages:
                _flatten(value, prefix, out)
    else:
        out.setdefault(prefix, str(messages))


def _text_of(value) -> str:
    return str(value() if callable(value) else value)


class Field(fields.Field):
    """A value that may be left out: ``default`` (a value or a callable), or,
    when ``required`` (a message) is given, that message. ``required_later``:
    documented as required, but refused when missing by the caller, with its
    own message (tracker.cases.workflow for the staff bodies). ``doc``: more
    JSON Schema for what only the caller checks."""

    def __init__(self, *, default=None, required=None, required_later: bool = False, description="",
                 doc: dict | None = None):
        needed = required is not None or required_later
        super().__init__(required=needed, allow_none=not needed)
        self.default, self.required_message = default, required
        self.description, self.doc = description, doc or {}

    def deserialize(self, value, attr=None, data=None, **kwargs):
        out = None if value is None or value is missing else self._deserialize(value, attr, data, **kwargs)
        if out is None:
            if self.required_message is not None:
                raise ValidationError(str(self.required_message))
            return self.default() if callable(self.default) else self.default
        return out

    def kind(self) -> dict:
        """The JSON Schema of a given value (null is added for optional fields)."""
        raise NotImplementedError

    def json_schema(self) -> dict:
        out = {**self.kind(), **self.doc}
        if not self.required:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        if self.description:
            out["description"] = _text_of(self.description)
        return out


class Text(Field):
    """Text of at most ``limit`` characters; trimmed (NUL bytes removed),
    empty is not given. Leniently a number is read as its text."""

    def __init__(self, limit: int | None = 500, *, trim: bool = True, type_message=None, **kwargs):
        super().__init__(**kwargs)
        self.limit, self.trim, self.type_message = limit, trim, type_message

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            if _strict.get() or not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValidationError(str(self.type_message) if self.type_message else _("This must be text."))
            value = str(value)
        if not self.trim:
            return value
        value = value.replace("\x00", "").strip()
        if not value:
            return None
        if self.limit is not None and len(value) > self.limit:
            raise ValidationError(_("This is too long: at most %(n)s characters.", n=self.limit))
        return value

    def kind(self) -> dict:
        return {"type": "string"} if self.limit is None else {"type": "string", "maxLength": self.limit}


class Code(Text):
    """A code: one of ``choices`` (a collection, or a callable giving one,
    read when checking) else ``unknown`` (the message); without choices, any
    code of at most 64 characters (looked up by the caller)."""

    def __init__(self, choices: Iterable[str] | Callable | None = None, *, unknown=None, **kwargs):
        super().__init__(64, **kwargs)
        self.choices, self.unknown_message = choices, unknown

    def allowed(self) -> list[str]:
        return list(self.choices() if callable(self.choices) else self.choices)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value is not None and self.choices is not None and value not in self.allowed():
            raise ValidationError(str(self.unknown_message))
        return value

    def json_schema(self) -> dict:
        if self.choices is None:
            return super().json_schema()
        # "" and null mean "not given", as the check treats them.
        out = {"type": ["string", "null"], "enum": [*self.allowed(), "", None]}
        out["description"] = (_text_of(self.description) + " Empty or null: not given.").strip()
        return out


class CodeList(Field):
    """A list of codes (empty strings ignored, duplicates dropped); leniently
    one string is a list of one. Unknown codes: ``unknown(codes)`` is the
    message. An empty list is not given."""

    def __init__(self, choices: Iterable[str], *, unknown: Callable[[list[str]], str], min_items: int = 0, **kwargs):
        super().__init__(default=list, **kwargs)
        self.choices, self.unknown, self.min_items = tuple(choices), unknown, min_items

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not _strict.get():
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ValidationError(_("This must be a list."))
        out: list[str] = []
        for item in value:
            if not isinstance(item, str):
                raise ValidationError(_("This must be a list of codes."))
            item = item.strip()
            if item and item not in out:
                out.append(item)
        unknown = [code for code in out if code not in self.choices]
        if unknown:
            raise ValidationError(self.unknown(unknown))
        return out or None

    def kind(self) -> dict:
        out = {"type": "array", "items": {"type": "string", "enum": [*self.choices, ""]}}
        if self.min_items:  # empty strings do not count
            out.update(minItems=self.min_items, contains={"enum": list(self.choices)}, minContains=self.min_items)
        return out


class Count(Field):
    """A whole number from ``minimum`` to ``maximum``; leniently also written
    as text ("3"), or as a float with no fraction."""

    def __init__(self, minimum: int = 0, maximum: int = 100_000, **kwargs):
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _range_error(self) -> ValidationError:
        return ValidationError(_("This must be a number from %(low)s to %(high)s.", low=self.minimum, high=self.maximum))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError(_("This must be a whole number."))
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and not _strict.get() and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and not _strict.get():
            stripped = value.strip()
            if stripped == "":
                return None
            negative = stripped.startswith("-")
            digits = stripped[1:] if negative else stripped
            if not digits.isdecimal():
                raise ValidationError(_("This must be a whole number."))
            if len(digits) > 15:  # far out of range; also spares int() a huge string
                raise self._range_error()
            number = -int(digits) if negative else int(digits)
        else:
            raise ValidationError(_("This must be a whole number."))
        if number < self.minimum or number > self.maximum:
            raise self._range_error()
        return number

    def kind(self) -> dict:
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


class Answer(Count):
    """A 1..5 answer; leniently "", "na", "none" and "0" are no answer."""

    def __init__(self, **kwargs):
        super().__init__(1, 5, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not _strict.get() and value.strip().lower() in ("", "na", "none", "0"):
            return None
        return super()._deserialize(value, attr, data, **kwargs)


class Number(Field):
    """A number from -``limit`` to ``limit``, rounded to 2 decimals; leniently
    also text, with a decimal comma ("4,61") as many phones type it."""

    def __init__(self, limit: float, **kwargs):
        super().__init__(**kwargs)
        self.limit = limit

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError(_("This must be a number."))
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str) and not _strict.get():
            stripped = value.strip()
            if stripped == "":
                return None
            if stripped.count(",") == 1 and "." not in stripped:
                stripped = stripped.replace(",", ".")
            try:
                number = float(stripped)
            except ValueError:
                raise ValidationError(_("This must be a number.")) from None
        else:
            raise ValidationError(_("This must be a number."))
        if not math.isfinite(number) or abs(number) > self.limit:
            raise ValidationError(_("This must be a number from %(low)s to %(high)s.", low=-self.limit, high=self.limit))
        return round(number, 2)

    def kind(self) -> dict:
        return {"type": "number", "minimum": -self.limit, "maximum": self.limit}


class Flag(Field):
    """Yes or no; leniently also "y"/"on"/"1", "n"/"off"/"0"/"" and 0/1."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if not _strict.get():
            if isinstance(value, str) and value.strip().lower() in _TRUE:
                return True
            if isinstance(value, str) and value.strip().lower() in _FALSE:
                return False
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
        raise ValidationError(_("This must be yes or no (true or false)."))

    def kind(self) -> dict:
        return {"type": "boolean"}


class Group(Field):
    """A group of fields (an object) checked by ``schema``; not given is the
    same as an empty group (so each field's default applies).

    ``checked_if=("consent", "contact")``: the group is checked (and kept)
    only when that flag of the body is true; the document then describes it
    with an if/then (tracker/api/openapi.py) and otherwise as any object."""

    def __init__(self, schema: type[Schema], *, checked_if: tuple[str, str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.schema, self.checked_if = schema(), checked_if

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is None or value is missing:
            return self.schema.load({})
        if not isinstance(value, Mapping):
            raise ValidationError(_("This must be a group of fields (an object)."), valid_data=self.schema.load({}))
        return self.schema.load(value)  # its ValidationError carries the fields that passed (valid_data)

    def json_schema(self, convert: Callable[[Schema], dict] | None = None) -> dict:
        out = {"type": ["object", "null"]}
        if convert is not None and self.checked_if is None:
            out.update(convert(self.schema))
            out["type"] = ["object", "null"]
        if self.description:
            out["description"] = _text_of(self.description)
        return out
