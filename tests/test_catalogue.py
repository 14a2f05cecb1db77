"""The catalogue is validated when loaded, and mistakes name the entry and the fix."""

from __future__ import annotations

import copy

import pytest

from mldojo.catalogue import CatalogueError, load_catalogue, parse_catalogue

GOOD = {
    "format": 1,
    "stage": [
        {
            "id": "stage1",
            "title": "T",
            "summary": "S",
            "criterion": [
                {"id": "all", "text": "all pass", "kind": "automatic", "rule": "all-exercises-pass"},
                {"id": "essay", "text": "write", "kind": "self-reported", "prompt": "link"},
            ],
        }
    ],
    "exercise": [{"id": "stage1/a", "title": "A", "summary": "s", "hints": ["h1", "h2"]}],
}


def _with(change) -> dict:
    data = copy.deepcopy(GOOD)
    change(data)
    return data


def test_the_shipped_catalogue_loads():
    catalogue = load_catalogue()
    assert catalogue.exercises, "no exercises"
    for exercise in catalogue.exercises:
        assert len(exercise.hints) >= 3, f"{exercise.id} needs at least three progressive hints"
        assert "PLACEHOLDER" not in " ".join(exercise.hints)


def test_a_good_catalogue_parses():
    catalogue = parse_catalogue(GOOD)
    assert catalogue.exercise("stage1/a").hints == ("h1", "h2")
    assert [c.kind for c in catalogue.stage("stage1").criteria] == ["automatic", "self-reported"]


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda d: d.update(format=2), "format = 1"),
        (lambda d: d["exercise"][0].update(id="Stage1/A"), "'stage1/linreg'"),
        (lambda d: d["exercise"][0].update(hints=["only one"]), "at least two"),
        (lambda d: d["exercise"][0].pop("title"), "title"),
        (lambda d: d["exercise"][0].update(id="stage9/a"), "has no [[stage]] entry"),
        (lambda d: d["exercise"][0].update(prerequisites=["stage1/zz"]), "not an exercise"),
        (lambda d: d["exercise"][0].update(time_limit_s=0), "time_limit_s"),
        (lambda d: d["exercise"][0].update(colour="red"), "unknown key 'colour'"),
        (lambda d: d["exercise"].append(dict(d["exercise"][0])), "listed twice"),
        (lambda d: d["stage"][0]["criterion"][0].update(rule="vibes"), "rule"),
        (lambda d: d["stage"][0]["criterion"][1].pop("prompt"), "prompt"),
        (lambda d: d["stage"][0]["criterion"][0].update(kind="maybe"), "kind must be"),
    ],
)
def test_mistakes_name_the_entry_and_the_fix(change, words):
    with pytest.raises(CatalogueError) as error:
        parse_catalogue(_with(change), "catalogue.toml")
    assert words in str(error.value)
    assert "catalogue.toml" in str(error.value)


def test_suggestions_for_mistyped_ids():
    catalogue = load_catalogue()
    assert catalogue.suggest("linreg") == ["stage1/linreg"]
    assert "stage1/linreg" in catalogue.suggest("stage1/linrg")
