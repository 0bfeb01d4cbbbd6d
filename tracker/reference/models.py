"""Reference data: regions, forces and units, operations, oversight bodies,
routing rules, and the fixed harm categories."""
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.i18n import localized
from tracker.extensions import db

# Harm categories: codes fixed by DESIGN §2 (HURIDOCS "types of acts").
CATEGORIES: dict[str, object] = {
    "killing": _l("Killing"),
    "attempted_killing": _l("Attempted killing"),
    "assault": _l("Beating or assault"),
    "torture": _l("Torture or cruel treatment"),
    "sexual_violence": _l("Sexual violence"),
    "threats": _l("Threats or intimidation"),
    "arbitrary_detention": _l("Arbitrary arrest or detention"),
    "disappearance": _l("Disappearance"),
    "mass_roundup": _l("Mass round-up"),
    "illegal_search": _l("Illegal search of home or person"),
    "displacement": _l("Forced displacement"),
    "property_destruction": _l("Destruction of homes or property"),
    "looting_extortion": _l("Looting, theft or extortion"),
    "land_seizure": _l("Seizure of land"),
    "essential_services": _l("Attack on water, power, schools or clinics"),
    "explosive_weapons": _l("Use of explosive weapons"),
    "denial_of_care": _l("Denial of medical care"),
    "collective_punishment": _l("Collective punishment"),
    "detainee_abuse": _l("Abuse of detainees"),
    "other": _l("Other"),
}

REGION_LEVELS = {0: _l("Country"), 1: _l("Province"), 2: _l("District")}
REGION_KINDS = {"land": _l("Land"), "maritime": _l("Maritime zone")}

FORCE_KINDS = {
    "army": _l("Army"),
    "navy": _l("Navy or coast guard"),
    "police": _l("Police"),
    "multinational": _l("Multinational task force"),
    "other": _l("Other force"),
    "unknown": _l("Unknown"),
}


class NamedMixin:
    names: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    def name(self, lang: str | None = None) -> str:
        return localized(self.names, lang)


class Region(NamedMixin, db.Model):
    __tablename__ = "region"
    id: Mapped[int] = mapped_column(primary_key=True)
    pcode: Mapped[str] = mapped_column(sa.String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)  # 0 country, 1 province, 2 district
    kind: Mapped[str] = mapped_column(sa.String(16), default="land")

    parent: Mapped["Region | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Region"]] = relationship(back_populates="parent", order_by="Region.pcode")

    def ancestors(self) -> list["Region"]:
        out, node = [], self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out

    def at_level(self, level: int) -> "Region":
        """This region, or its ancestor at ``level`` (1 = province)."""
        node = self
        while node.level > level and node.parent is not None:
            node = node.parent
        return node


class Force(NamedMixin, db.Model):
    __tablename__ = "force"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="unknown")
    units: Mapped[list["Unit"]] = relationship(back_populates="force", order_by="Unit.code")


class Unit(NamedMixin, db.Model):
    __tablename__ = "unit"
    __table_args__ = (sa.UniqueConstraint("force_id", "code", name="uq_unit_force_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    force_id: Mapped[int] = mapped_column(sa.ForeignKey("force.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    force: Mapped[Force] = relationship(back_populates="units")


class Operation(NamedMixin, db.Model):
    __tablename__ = "operation"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    force_id: Mapped[int | None] = mapped_column(sa.ForeignKey("force.id"))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"))
    starts_on: Mapped[date | None] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    force: Mapped[Force | None] = relationship()
    region: Mapped[Region | None] = relationship()


class OversightBody(NamedMixin, db.Model):
    __tablename__ = "oversight_body"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))


class RoutingRule(db.Model):
    """(force, region) → oversight body. Empty force or region matches any;
    the most specific matching rule wins (deepest region, then force set)."""

    __tablename__ = "routing_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    force_id: Mapped[int | None] = mapped_column(sa.ForeignKey("force.id"))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"))
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("oversight_body.id"))
    force: Mapped[Force | None] = relationship()
    region: Mapped[Region | None] = relationship()
    body: Mapped[OversightBody] = relationship()


class Setting(db.Model):
    """Key/value settings editable by admins (e.g. deadlines, K)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(sa.JSON)


class RegionBoundary(db.Model):
    """The outline of a region (province or district) for the maps, as an
    admin uploaded it, already simplified (tracker.reference.maps): a GeoJSON
    MultiPolygon's ``coordinates`` in degrees (lon, lat). No one else's tiles:
    the maps are drawn from these."""

    __tablename__ = "region_boundary"
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id", ondelete="CASCADE"), primary_key=True)
    polygons: Mapped[list] = mapped_column(sa.JSON)
    vertices: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)

    region: Mapped[Region] = relationship()
