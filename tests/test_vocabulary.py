"""Each rule's vocabulary is defined once in tracker/ and imported
everywhere else (STYLE §11, issue 11): K and its bounds, the case states
and outcomes, the outcome count fields, the severity order, the triage
deadlines, the trust index's publication minimum. Read with ``ast``: a
second module-level assignment (or ``def``) of the same name is a copy."""
import ast
import pathlib
from collections import defaultdict

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

VOCABULARY = {
    # name: where it is defined (the one home)
    "K_MIN": "tracker/admin/settings.py",
    "K_MAX": "tracker/admin/settings.py",
    "k_threshold": "tracker/admin/settings.py",
    "STATES": "tracker/intake/statuses.py",
    "OUTCOMES": "tracker/intake/statuses.py",
    "STATES_WITH_OUTCOME": "tracker/intake/statuses.py",
    "OUTCOME_FIELDS": "tracker/metrics/models.py",
    "SEVERITY_ORDER": "tracker/intake/models.py",
    "SEVERITIES": "tracker/intake/models.py",
    "triage_deadlines": "tracker/admin/settings.py",
    "triage_deadline": "tracker/cases/deadlines.py",
    "DEADLINE_MAX_HOURS": "tracker/admin/settings.py",
    "MIN_N": "tracker/metrics/trust.py",
    "LOW_CONFIDENCE_N": "tracker/metrics/trust.py",
    "DEFAULT_K": None,  # gone: the default K is config's TRACKER_K_THRESHOLD
}


def _definitions() -> dict[str, list[str]]:
    """Module-level names bound by a literal, a computation or a ``def``
    (``from x import name`` and ``name = other_module.name`` aliases are imports,
    not definitions)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[node.name].append(rel)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name) and not isinstance(node.value, ast.Name):
                            found[name.id].append(rel)
    return found


@pytest.mark.parametrize("name", sorted(VOCABULARY))
def test_defined_once(name):
    places = _definitions().get(name, [])
    home = VOCABULARY[name]
    assert places == ([home] if home else []), f"{name} is defined in {places}, expected only in {home}"


def test_the_severity_order_is_not_copied():
    """The four severities in order are written out once, as SEVERITY_ORDER
    (tracker/intake/models.py); no tuple or list copies them."""
    wanted = ["critical", "high", "medium", "low"]
    places = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List)) and [getattr(e, "value", None) for e in node.elts] == wanted:
                places.append(f"{rel}:{node.lineno}")
    assert places == []
