"""The shape of the synthetic world: how many reports of which kind,
where and by whom, their texts, the states cases reach and the answers to
the trust pulse. Plain data and weighted choices; no database."""
from __future__ import annotations

import math
import random
from bisect import bisect
from functools import lru_cache
from itertools import accumulate

BATCH_SIZE = 5000
DAYS = 365
NARRATIVE_SHARE = 0.25  # many reporters only tick boxes

# ---------------------------------------------------------------------------
# The shape of the synthetic world. Codes refer to tracker/demo/data/*.csv;
# a code missing from the database is simply left out of the mix.

# Province heat: Eastern Border and River Valley see most operations.
PROVINCE_WEIGHTS = {"XV01": 1.0, "XV02": 2.6, "XV03": 3.0, "XV04": 1.3}

# (force code, unit code or None, weight) per province; maritime districts
# have their own mix (the navy at sea).
FORCE_MIX = {
    "XV01": [("ARMY", "BN12", 3), ("ARMY", None, 1), ("POLICE", None, 2), ("POLICE", "ANTI", 1), ("UNKNOWN", None, 1)],
    "XV02": [("ARMY", "BDE4", 4), ("ARMY", "SF1", 1), ("POLICE", "ANTI", 3), ("POLICE", None, 1),
             ("JTF", "JTF-A", 1), ("UNKNOWN", None, 1)],
    "XV03": [("POLICE", "BORD", 4), ("ARMY", "BN12", 2), ("JTF", "JTF-A", 2), ("ARMY", "SF1", 1), ("UNKNOWN", None, 1)],
    "XV04": [("NAVY", "MAR1", 3), ("POLICE", None, 2), ("NAVY", "CG2", 1), ("UNKNOWN", None, 1)],
}
MARITIME_FORCE_MIX = [("NAVY", "CG2", 6), ("NAVY", "MAR1", 2), ("JTF", "JTF-A", 1), ("UNKNOWN", None, 1)]

# More threats, searches and detentions than killings.
CATEGORY_WEIGHTS = {
    "threats": 16, "illegal_search": 15, "arbitrary_detention": 14, "assault": 10,
    "looting_extortion": 8, "property_destruction": 7, "mass_roundup": 4, "displacement": 4,
    "detainee_abuse": 3, "torture": 3, "disappearance": 2.5, "attempted_killing": 2, "killing": 2,
    "sexual_violence": 1.5, "land_seizure": 2, "essential_services": 1.5, "explosive_weapons": 1,
    "denial_of_care": 1.5, "collective_punishment": 2, "other": 2,
}
# At sea: boardings, seizures of boats and catch, detentions of crews.
MARITIME_CATEGORY_WEIGHTS = {
    "illegal_search": 20, "arbitrary_detention": 14, "property_destruction": 10, "looting_extortion": 10,
    "threats": 10, "assault": 6, "disappearance": 2, "killing": 1, "attempted_killing": 1, "other": 2,
}
# What tends to come together in one incident.
COMPANIONS = {
    "illegal_search": ["property_destruction", "looting_extortion", "threats", "arbitrary_detention"],
    "arbitrary_detention": ["assault", "detainee_abuse", "illegal_search", "threats"],
    "mass_roundup": ["arbitrary_detention", "collective_punishment", "threats"],
    "killing": ["assault", "property_destruction", "explosive_weapons"],
    "attempted_killing": ["assault", "threats"],
    "torture": ["arbitrary_detention", "detainee_abuse"],
    "detainee_abuse": ["arbitrary_detention", "torture"],
    "displacement": ["property_destruction", "collective_punishment", "land_seizure"],
    "property_destruction": ["looting_extortion", "displacement"],
    "looting_extortion": ["threats", "illegal_search"],
    "assault": ["threats", "arbitrary_detention"],
    "disappearance": ["arbitrary_detention"],
    "explosive_weapons": ["property_destruction", "essential_services"],
    "sexual_violence": ["assault", "threats"],
    "essential_services": ["property_destruction", "denial_of_care"],
    "denial_of_care": ["assault"],
    "land_seizure": ["displacement", "threats"],
    "collective_punishment": ["property_destruction", "threats"],
}

# The alert the demo should show (to the demo commander, of the army): a
# surge of 12th Battalion reports in La Frontera during the last six weeks.
SPIKE = {"share": 0.03, "region": "XV0301", "force": "ARMY", "unit": "BN12", "days": 42,
         "categories": ["arbitrary_detention", "assault", "illegal_search", "threats"]}

# Trust (1–5 scale, mean) per province, and how it drifts over the year
# (points per year; negative = falling towards today).
TRUST_BASE = {"XV01": 3.7, "XV02": 3.0, "XV03": 2.8, "XV04": 3.3}
TRUST_DRIFT = {"XV03": -0.9}
PULSE_ITEMS = ("respect", "voice", "fairness", "safe_to_report", "safety")
PULSE_ITEM_OFFSET = {"respect": 0.0, "voice": -0.3, "fairness": -0.2, "safe_to_report": -0.4, "safety": 0.2}
SEVERITY_TRUST_PENALTY = {"critical": 1.0, "high": 0.6, "medium": 0.25, "low": 0.0}

LANGUAGE_WEIGHTS = {"es": 45, "en": 30, "ar": 15, "fr": 10}
RELATIONSHIP_WEIGHTS = {"victim": 30, "witness": 30, "family": 20, "community": 12, "organisation": 8}
PARTS_OF_DAY = ("morning", "afternoon", "evening", "night")
OUTCOME_WEIGHTS = {"substantiated": 30, "partly_substantiated": 25, "not_substantiated": 25, "unable_to_determine": 20}
REFERRED_TO = ("Public Prosecutor's Office", "Ombudsman of Valdoria", "Military Justice Directorate")

# Short synthetic narratives, per language. Marked as synthetic on purpose.
NARRATIVES = {
    "en": [
        "Synthetic demo text. Men in uniform came to the houses at dawn and took two young men without saying why.",
        "Synthetic demo text. Soldiers searched every house on our street and broke the doors. Nobody showed a paper.",
        "Synthetic demo text. At the checkpoint they took money from the drivers and threatened those who refused.",
        "Synthetic demo text. Our boats were stopped at sea, the crew held for a day and the catch thrown away.",
        "Synthetic demo text. They beat my brother in front of the children and said they would come back.",
        "Synthetic demo text. After the raid families left the village; the fields were burned.",
    ],
    "es": [
        "Texto de demostración sintético. Hombres uniformados llegaron al amanecer y se llevaron a dos jóvenes sin explicación.",
        "Texto de demostración sintético. Los soldados registraron todas las casas de la calle y rompieron las puertas.",
        "Texto de demostración sintético. En el retén cobraban dinero a los conductores y amenazaban a quien se negaba.",
        "Texto de demostración sintético. Detuvieron nuestras lanchas en el mar y tiraron la pesca.",
        "Texto de demostración sintético. Golpearon a mi hermano delante de los niños y dijeron que volverían.",
        "Texto de demostración sintético. Después del operativo las familias dejaron el pueblo; quemaron los cultivos.",
    ],
    "fr": [
        "Texte de démonstration synthétique. Des hommes en uniforme sont venus à l'aube et ont emmené deux jeunes.",
        "Texte de démonstration synthétique. Les soldats ont fouillé toutes les maisons de la rue et cassé les portes.",
        "Texte de démonstration synthétique. Au barrage, ils prenaient de l'argent aux chauffeurs et menaçaient les autres.",
        "Texte de démonstration synthétique. Nos bateaux ont été arrêtés en mer et la pêche jetée.",
    ],
    "ar": [
        "نص تجريبي اصطناعي. جاء رجال بالزي الرسمي عند الفجر واقتادوا شابين دون أي تفسير.",
        "نص تجريبي اصطناعي. فتش الجنود كل البيوت في شارعنا وكسروا الأبواب.",
        "نص تجريبي اصطناعي. عند الحاجز أخذوا المال من السائقين وهددوا من رفض.",
        "نص تجريبي اصطناعي. أوقفوا قواربنا في البحر ورموا الصيد.",
    ],
}
PLACES = {
    "en": ["Near the market", "On the road to the river", "At the checkpoint by the bridge", "In the harbour"],
    "es": ["Cerca del mercado", "En el camino al río", "En el retén del puente", "En el puerto"],
    "fr": ["Près du marché", "Sur la route du fleuve", "Au barrage du pont", "Au port"],
    "ar": ["قرب السوق", "على الطريق إلى النهر", "عند الحاجز قرب الجسر", "في الميناء"],
}
OFFICER_MESSAGES = {
    "en": "Thank you for your report. Could you tell us roughly what time it happened?",
    "es": "Gracias por su informe. ¿Podría decirnos aproximadamente a qué hora ocurrió?",
    "fr": "Merci pour votre signalement. Pouvez-vous nous dire à peu près à quelle heure c'est arrivé ?",
    "ar": "شكرًا على بلاغك. هل يمكنك أن تخبرنا تقريبًا في أي ساعة حدث ذلك؟",
}
REPORTER_MESSAGES = {
    "en": "It was early in the morning, before six.",
    "es": "Fue temprano en la mañana, antes de las seis.",
    "fr": "C'était tôt le matin, avant six heures.",
    "ar": "كان ذلك في الصباح الباكر، قبل السادسة.",
}


# ---------------------------------------------------------------------------


class _Chooser:
    """Weighted choice with precomputed cumulative weights (fast for 1M draws)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect(self.cum, rng.random() * self.total)]


# Case states reached by cases that have been triaged, by kind of case.
STATES_CRITICAL = _Chooser(*zip(*{"escalated": 40, "investigating": 25, "resolved": 20, "closed": 10,
                                  "referred": 5}.items(), strict=False))
STATES_RECENT = _Chooser(*zip(*{"triaged": 45, "investigating": 30, "awaiting_info": 8, "escalated": 5,
                                "rejected": 7, "referred": 5}.items(), strict=False))
STATES_OLDER = _Chooser(*zip(*{"triaged": 35, "investigating": 20, "escalated": 8, "awaiting_info": 4,
                               "referred": 3, "resolved": 19, "closed": 7, "rejected": 4}.items(), strict=False))
VERIFICATION_OPEN = _Chooser(("plausible", "credible", "unverified", "contested"), (40, 30, 20, 10))
PREFER_NOT_TO_SAY = 0.06
ANSWER_SPREAD = 0.9


@lru_cache(maxsize=4096)
def _answers_for(mean_centi: int) -> _Chooser:
    """A 1–5 answer drawn as round(Normal(mean, 0.9)) clipped to the scale,
    or None ("prefer not to say") 6 % of the time, as one weighted choice."""
    mean = mean_centi / 100

    def cdf(x: float) -> float:
        return 0.5 * (1 + math.erf((x - mean) / (ANSWER_SPREAD * math.sqrt(2))))

    weights = [PREFER_NOT_TO_SAY]
    for k in range(1, 6):
        low = cdf(k - 0.5) if k > 1 else 0.0
        high = cdf(k + 0.5) if k < 5 else 1.0
        weights.append((1 - PREFER_NOT_TO_SAY) * (high - low))
    return _Chooser((None, 1, 2, 3, 4, 5), weights)


def _answers(mean: float) -> _Chooser:
    return _answers_for(round(mean * 100))
