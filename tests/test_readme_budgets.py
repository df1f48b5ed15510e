"""The README's API table states every endpoint's declared query budget, and nothing else.

Each row's queries cell reads `GET 3 · POST 5-6`: the method and `str(Budget)` of the view's
`query_budget` (apps/core/api.py). The test fails when a figure differs from the declaration
and when a declared endpoint method has no row.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import resolve

from apps.core.api import declared_budget, iter_routes, view_class_of

README = Path(settings.BASE_DIR) / "README.md"
SAMPLE_UUID = "01a20bb0-4868-775e-9bdd-36f97dba621d"  # the job queue's ids are UUIDs
SAMPLE_VALUES = {
    "room": "lab",
    "full_name": "lab:modifiers:job",
    "job_name": "lab:modifiers:job",
    "id": "1",
    "task_id": "1",
    "user_id": "1",
    "worker": SAMPLE_UUID,
    "task": SAMPLE_UUID,
}
SAMPLE_VALUES |= {"trace_id": "1", "question_id": "1", "note_id": "1", "prompt_id": "1"}  # workshops
SAMPLE_VALUES |= {"comment_id": "1", "item_id": "1"}  # projects: comments and checklists
SAMPLE_VALUES |= {"contact_id": "1", "tag_id": "1"}  # livechat
SAMPLE_VALUES |= {"category_id": "1", "keyword_id": "1", "response_id": "1", "canned_id": "1", "hours_id": "1"}
PREFIXES = ("api/", "v1/joblib/")
pytestmark = pytest.mark.django_db  # no query runs; the session fixtures expect the test database

FIGURE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (\d+(?:-\d+)?)$")


def readme_budgets() -> dict[tuple[type, str], str]:
    """(view class, method) → the README's figure, for every row of the API map's tables."""
    text = README.read_text()
    api_map = text[text.index("## API map") :]
    api_map = api_map[: api_map.index("\n## ", 1)]
    prefix, rows = "", {}
    for line in api_map.splitlines():
        heading = re.match(r"^### .*?`(/api/[^`]*|/v1/joblib/[^`]*)`", line)
        if line.startswith("### "):
            prefix = heading.group(1) if heading else ""
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[2] or not FIGURE.match(cells[2].split(" · ")[0]):
            continue
        methods, path = re.match(r"`((?:[A-Z]+, )*[A-Z]+) (\S+)`", cells[0]).groups()
        url = (prefix.rstrip("/") + "/" + path.lstrip("/")) if prefix else path
        url = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_VALUES[m.group(1)], url.split("?")[0])
        view = view_class_of(resolve(url).func)
        stated = dict(FIGURE.match(part).groups() for part in cells[2].split(" · "))
        assert sorted(stated) == sorted(m.strip() for m in methods.split(",")), line
        for method, figure in stated.items():
            rows[(view, method)] = figure
    return rows


def declared_budgets() -> dict[tuple[type, str], str]:
    declared = {}
    for route in iter_routes():
        view = route.view_class
        if not route.path.startswith(PREFIXES) or view is None:
            continue
        for method in getattr(view, "query_budget", {}):
            declared[(view, method)] = str(declared_budget(view, method))
    return declared


def test_the_readme_states_each_declared_budget():
    stated, declared = readme_budgets(), declared_budgets()
    assert stated, "no budget rows found in the README's API map"
    wrong = {
        f"{view.__name__} {method}": (figure, declared.get((view, method))) for (view, method), figure in stated.items()
    }
    assert {key: pair for key, pair in wrong.items() if pair[0] != pair[1]} == {}


def test_every_declared_budget_has_a_readme_row():
    stated = readme_budgets()
    missing = [f"{view.__name__} {method}" for (view, method) in declared_budgets() if (view, method) not in stated]
    assert missing == []
