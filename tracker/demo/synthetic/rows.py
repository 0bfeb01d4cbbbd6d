"""Building the rows of one synthetic report (report, case, categories,
search tokens, messages, pulse answers) from the random stream, following
the workflow's rules (imported from tracker.cases). Touches no database."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tracker.cases.deadlines import triage_deadline
from tracker.cases.escalation import escalates_on_intake
from tracker.cases.intake import case_ref
from tracker.core.crypto import encrypt_json, encrypt_text
from tracker.demo.synthetic.shape import (
    CATEGORY_WEIGHTS,
    COMPANIONS,
    DAYS,
    LANGUAGE_WEIGHTS,
    MARITIME_CATEGORY_WEIGHTS,
    NARRATIVE_SHARE,
    NARRATIVES,
    OFFICER_MESSAGES,
    OUTCOME_WEIGHTS,
    PARTS_OF_DAY,
    PLACES,
    PULSE_ITEM_OFFSET,
    PULSE_ITEMS,
    REFERRED_TO,
    RELATIONSHIP_WEIGHTS,
    REPORTER_MESSAGES,
    SEVERITY_TRUST_PENALTY,
    SPIKE,
    STATES_CRITICAL,
    STATES_OLDER,
    STATES_RECENT,
    TRUST_BASE,
    TRUST_DRIFT,
    VERIFICATION_OPEN,
    _answers,
    _Chooser,
)
from tracker.demo.synthetic.world import _District, _route, _World
from tracker.intake.models import SEVERITY_ORDER
from tracker.intake.statuses import STATES_WITH_OUTCOME


@dataclass
class GenerateResult:
    reports: int = 0
    pulses: int = 0
    messages: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    severities: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)


def _search_hashes(text: str, language: str | None = None) -> list[str]:
    from tracker.cases.search import token_hashes

    return token_hashes(text, language)


class _Pools:
    """Pre-encrypted texts reused across rows (see the module docstring)."""

    def __init__(self, rng: random.Random):
        # (ciphertext, search-index token hashes) per narrative.
        self.narratives = {
            lang: [(encrypt_text(t), _search_hashes(t, lang)) for t in texts] for lang, texts in NARRATIVES.items()
        }
        self.places = {lang: [encrypt_text(t) for t in texts] for lang, texts in PLACES.items()}
        self.officer = {lang: encrypt_text(t) for lang, t in OFFICER_MESSAGES.items()}
        self.reporter = {lang: encrypt_text(t) for lang, t in REPORTER_MESSAGES.items()}
        names = ["Ana", "Luis", "Fatima", "Omar", "Marie", "Jean", "Rosa", "Samir"]
        self.contacts = [
            encrypt_json({"name": name, "phone": f"+000 555 {rng.randrange(1000, 9999)}",
                          "safe_times": "after 6 pm"})
            for name in names
        ]


class _Generator:
    def __init__(self, rng: random.Random, world: _World, today: date, severity, pools: _Pools, seed: int):
        self.rng, self.world, self.today, self.severity, self.pools = rng, world, today, severity, pools
        self.seed = seed
        self.now = datetime.combine(today, time(0, 0))
        # Read here, in the main process: the forked producer has no database.
        self.deadlines = {sev: triage_deadline(sev) for sev in SEVERITY_ORDER}
        self.languages = _Chooser(LANGUAGE_WEIGHTS, LANGUAGE_WEIGHTS.values())
        self.relationships = _Chooser(RELATIONSHIP_WEIGHTS, RELATIONSHIP_WEIGHTS.values())
        self.land_categories = _Chooser(CATEGORY_WEIGHTS, CATEGORY_WEIGHTS.values())
        self.sea_categories = _Chooser(MARITIME_CATEGORY_WEIGHTS, MARITIME_CATEGORY_WEIGHTS.values())
        self.outcomes = _Chooser(OUTCOME_WEIGHTS, OUTCOME_WEIGHTS.values())
        self.spike_district = world.by_pcode.get(SPIKE["region"])
        self.spike_ok = (
            self.spike_district is not None and (SPIKE["force"], SPIKE["unit"]) in world.units
        )

    # -- one incident --------------------------------------------------------

    def _days_ago(self) -> int:
        """1..365 days before today, slightly more recent than old."""
        rng = self.rng
        while True:
            d = rng.randrange(1, DAYS + 1)
            if rng.random() < 1.2 - 0.4 * d / DAYS:
                return d

    def _categories(self, maritime: bool, spike: bool) -> list[str]:
        rng = self.rng
        first = rng.choice(SPIKE["categories"]) if spike else (self.sea_categories if maritime else self.land_categories).pick(rng)
        cats = [first]
        companions = COMPANIONS.get(first)
        if companions and rng.random() < 0.4:
            cats.append(rng.choice(companions))
            more = COMPANIONS.get(cats[-1])
            if more and rng.random() < 0.3:
                cats.append(rng.choice(more))
        return sorted(set(cats))

    def _harm(self, cats: list[str]) -> dict:
        rng = self.rng
        s = set(cats)
        killed = injured = detained = missing = displaced = 0
        if "killing" in s:
            killed = 1 + (rng.random() < 0.3) + (rng.random() < 0.1) * rng.randrange(1, 5)
        if "explosive_weapons" in s:
            injured += rng.randrange(1, 10)
            killed += (rng.random() < 0.3) * rng.randrange(1, 4)
        if s & {"attempted_killing", "assault", "torture", "sexual_violence", "detainee_abuse"}:
            injured += 1 + (rng.random() < 0.35) * rng.randrange(1, 4)
        if "arbitrary_detention" in s:
            detained += 1 + (rng.random() < 0.4) * rng.randrange(1, 4)
        if "mass_roundup" in s:
            detained += rng.randrange(5, 60)
        if "disappearance" in s:
            missing = 1 + (rng.random() < 0.2)
        if s & {"displacement", "collective_punishment"} and rng.random() < 0.8:
            displaced = rng.randrange(1, 40)
        property_damaged = bool(s & {"property_destruction", "looting_extortion", "explosive_weapons", "land_seizure"})
        return {"killed": killed, "injured": injured, "detained": detained, "missing": missing,
                "displaced_households": displaced, "property_damaged": property_damaged}

    def _victims(self, cats: list[str]) -> dict:
        r = self.rng.random
        s = set(cats)
        return {
            "children": r() < (0.35 if s & {"displacement", "mass_roundup", "collective_punishment"} else 0.12),
            "women": r() < (0.9 if "sexual_violence" in s else 0.35),
            "elderly": r() < 0.15,
            "disability": r() < 0.05,
        }

    def _operation(self, force_id: int | None, district: _District, occurred: date) -> int | None:
        for op_id, op_force, op_region, starts, ends in self.world.operations:
            if op_force is not None and op_force != force_id:
                continue
            if op_region is not None and op_region not in district.ancestors:
                continue
            if (starts and occurred < starts) or (ends and occurred > ends):
                continue
            if self.rng.random() < 0.7:
                return op_id
        return None

    def _case_progress(self, severity: str, created_at: datetime) -> dict:
        """A state and timestamps consistent with the case's age and severity."""
        rng = self.rng
        deadline = self.deadlines[severity]
        age_days = (self.now - created_at).total_seconds() / 86400
        out = {"state": "new", "triage_due_at": created_at + deadline, "triaged_at": None,
               "escalated_at": None, "resolved_at": None, "outcome": None, "referred_to": None}
        if escalates_on_intake(severity):
            out["escalated_at"] = created_at
            out["state"] = "escalated"
        r = rng.random()
        if age_days < 3:
            progressed = r < 0.25
        elif age_days < 30:
            progressed = r < 0.75
        else:
            progressed = r < 0.93
        if not progressed:
            return out
        late = rng.random() < 0.15
        hours = deadline.total_seconds() / 3600 * (rng.uniform(1.0, 2.5) if late else rng.uniform(0.05, 1.0))
        triaged_at = created_at + timedelta(hours=hours)
        if triaged_at >= self.now:
            return out
        out["triaged_at"] = triaged_at
        if severity == "critical":
            state = STATES_CRITICAL.pick(rng)
        elif age_days < 30:
            state = STATES_RECENT.pick(rng)
        else:
            state = STATES_OLDER.pick(rng)
        if state in STATES_WITH_OUTCOME:
            resolved_at = triaged_at + timedelta(days=rng.uniform(5, 120))
            if resolved_at >= self.now:
                state = "investigating"
            else:
                out["resolved_at"] = resolved_at
                out["outcome"] = self.outcomes.pick(rng)
        if state == "escalated" and out["escalated_at"] is None:
            out["escalated_at"] = triaged_at + timedelta(hours=rng.uniform(1, 72))
            if out["escalated_at"] >= self.now:
                out["escalated_at"], state = None, "triaged"
        if state == "referred":
            out["referred_to"] = rng.choice(REFERRED_TO)
        out["state"] = state
        return out

    def _verification(self, state: str, outcome: str | None) -> str:
        rng = self.rng
        if state == "new":
            return "unverified"
        if outcome == "substantiated":
            return rng.choice(("confirmed", "credible"))
        if outcome == "partly_substantiated":
            return rng.choice(("credible", "plausible"))
        if outcome == "not_substantiated":
            return rng.choice(("discounted", "discounted", "contested"))
        if outcome == "unable_to_determine":
            return rng.choice(("unverified", "plausible", "contested"))
        if state == "rejected":
            return rng.choice(("discounted", "unverified"))
        if state == "triaged":
            return rng.choice(("unverified", "unverified", "plausible"))
        return VERIFICATION_OPEN.pick(rng)

    def _pulse(self, province: str, month: date, penalty: float) -> dict:
        rng = self.rng
        months_ago = (self.today.year - month.year) * 12 + self.today.month - month.month
        drift = TRUST_DRIFT.get(province, 0.0) * (1 - months_ago / 12)
        mean = TRUST_BASE.get(province, 3.3) + drift - penalty
        return {item: _answers(mean + PULSE_ITEM_OFFSET[item]).pick(rng) for item in PULSE_ITEMS}

    # -- rows --------------------------------------------------------------

    def report_rows(self, index: int, case_id: int, report_id: int, out: dict, result: GenerateResult) -> None:
        rng, world = self.rng, self.world
        spike = self.spike_ok and rng.random() < SPIKE["share"]
        if spike:
            district = self.spike_district
            force_code, unit_code = SPIKE["force"], SPIKE["unit"]
            days_ago = rng.randrange(1, SPIKE["days"] + 1)
        else:
            district = world.district_chooser.pick(rng)
            force_code, unit_code = district.forces.pick(rng) if district.forces else (None, None)
            days_ago = self._days_ago()
        force_id = world.forces.get(force_code) if force_code else None
        unit_id = world.units.get((force_code, unit_code)) if unit_code else None
        occurred = self.today - timedelta(days=days_ago)
        precision = "day" if rng.random() < 0.8 else "month"
        if precision == "month":
            if occurred.replace(day=1) < self.today - timedelta(days=DAYS):
                precision = "day"  # its month starts before the 12-month window
            else:
                occurred = occurred.replace(day=1)
        delay = min(rng.expovariate(1 / 3.0), days_ago - 1 + rng.random())
        created_at = datetime.combine(self.today - timedelta(days=days_ago), time(0, 0)) + timedelta(
            days=delay, seconds=rng.randrange(6 * 3600, 22 * 3600))
        if created_at >= self.now:
            created_at = self.now - timedelta(minutes=rng.randrange(1, 600))

        cats = self._categories(district.maritime, spike)
        harm = self._harm(cats)
        victims = self._victims(cats)
        severity = self.severity(cats, harm, victims)
        language = self.languages.pick(rng)
        relationship = self.relationships.pick(rng)
        needs = []
        if harm["injured"] or harm["killed"] or rng.random() < 0.05:
            needs.append("medical")
        if (harm["detained"] or harm["missing"] or rng.random() < 0.1) and rng.random() < 0.7:
            needs.append("legal")
        if harm["displaced_households"] or (harm["property_damaged"] and rng.random() < 0.3):
            needs.append("shelter")
        if rng.random() < 0.25:
            needs.append("psychosocial")
        consent_contact = rng.random() < 0.45
        filed_by_org = filed_by_user = None
        if world.organisation and rng.random() < 0.08:
            filed_by_org, filed_by_user = world.organisation
            relationship = "organisation"

        progress = self._case_progress(severity, created_at)
        state = progress["state"]
        updated_at = max(t for t in (created_at, progress["triaged_at"], progress["escalated_at"],
                                     progress["resolved_at"]) if t is not None)
        body_id = _route(world, force_id, district)
        staff = world.officers.get(body_id)
        assigned = rng.choice(staff) if staff and state != "new" and rng.random() < 0.7 else None
        out["case"].append({
            "id": case_id, "ref": case_ref(case_id, created_at), "state": state, "severity": severity,
            "severity_rank": SEVERITY_ORDER[severity], "severity_overridden": False,
            "verification": self._verification(state, progress["outcome"]), "outcome": progress["outcome"],
            "body_id": body_id, "assigned_to_id": assigned, "region_id": district.id, "force_id": force_id,
            "occurred_on": occurred, "created_at": created_at, "updated_at": updated_at,
            "triage_due_at": progress["triage_due_at"], "triaged_at": progress["triaged_at"],
            "escalated_at": progress["escalated_at"], "resolved_at": progress["resolved_at"],
            "has_news": False, "merged_into_id": None, "referred_to": progress["referred_to"],
            "paused_from": ("investigating" if state == "awaiting_info" else None),
            "escalation_proposed_at": None,
            # Already notified: the demo must not mail supervisors about old cases.
            "escalation_notified_at": progress["escalated_at"],
        })
        narrative = None
        if rng.random() < NARRATIVE_SHARE:
            narrative, hashes = rng.choice(self.pools.narratives[language])
            out["case_search_token"].extend(
                {"report_id": report_id, "token_hash": h, "case_id": case_id} for h in hashes
            )
        place = rng.choice(self.pools.places[language]) if rng.random() < 0.3 else None
        unit_description = None
        contact = rng.choice(self.pools.contacts) if consent_contact and rng.random() < 0.6 else None
        out["report"].append({
            "id": report_id, "case_id": case_id,
            "receipt_hash": hashlib.sha256(f"synthetic:{self.seed}:{report_id}:{index}".encode()).hexdigest(),
            "created_at": created_at, "language": language, "occurred_on": occurred,
            "occurred_precision": precision,
            "part_of_day": rng.choice(PARTS_OF_DAY) if rng.random() < 0.6 else None,
            "region_id": district.id, "place_description_enc": place, "latitude": None, "longitude": None,
            "force_id": force_id, "unit_id": unit_id, "unit_description_enc": unit_description,
            "operation_id": self._operation(force_id, district, occurred), "narrative_enc": narrative,
            "killed": harm["killed"], "injured": harm["injured"], "detained": harm["detained"],
            "missing": harm["missing"], "displaced_households": harm["displaced_households"],
            "property_damaged": harm["property_damaged"],
            "victims_children": victims["children"], "victims_women": victims["women"],
            "victims_elderly": victims["elderly"], "victims_disability": victims["disability"],
            "relationship_to_incident": relationship, "needs": needs,
            "consent_contact": consent_contact, "consent_statistics": rng.random() < 0.95,
            "consent_referral": rng.random() < 0.35, "contact_enc": contact,
            "severity": severity, "filed_by_org_id": filed_by_org, "filed_by_user_id": filed_by_user,
            "has_news": False,
        })
        for cat in cats:
            out["report_category"].append({"report_id": report_id, "category": cat})
            result.categories[cat] = result.categories.get(cat, 0) + 1
        result.severities[severity] = result.severities.get(severity, 0) + 1
        result.states[state] = result.states.get(state, 0) + 1

        if state == "awaiting_info" or (state == "investigating" and rng.random() < 0.2):
            sent = progress["triaged_at"] + timedelta(hours=rng.uniform(1, 48))
            if sent < self.now:
                out["message"].append({"report_id": report_id, "sender": "officer", "author_user_id": None,
                                       "body_enc": self.pools.officer[language], "created_at": sent})
                reply = sent + timedelta(hours=rng.uniform(2, 96))
                if state == "investigating" and reply < self.now:
                    out["message"].append({"report_id": report_id, "sender": "reporter", "author_user_id": None,
                                           "body_enc": self.pools.reporter[language], "created_at": reply})
                else:
                    out["report"][-1]["has_news"] = True

        if rng.random() < 0.6:
            month = created_at.date().replace(day=1)
            answers = self._pulse(district.province, month, SEVERITY_TRUST_PENALTY.get(severity, 0.0))
            out["pulse_response"].append({"region_id": district.id, "force_id": force_id, "month": month,
                                          "source": "report", "language": language, **answers})

    def standalone_pulse(self) -> dict:
        rng = self.rng
        district = self.world.district_chooser.pick(rng)
        day = self.today - timedelta(days=rng.randrange(1, DAYS + 1))
        month = day.replace(day=1)
        force_code, _unit = district.forces.pick(rng) if district.forces and rng.random() < 0.5 else (None, None)
        return {"region_id": district.id, "force_id": self.world.forces.get(force_code) if force_code else None,
                "month": month, "source": "standalone", "language": self.languages.pick(rng),
                **self._pulse(district.province, month, 0.0)}
