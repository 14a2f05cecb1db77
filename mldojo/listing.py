"""`grade list`: every exercise with its state, read fast (standard library only, no SQLModel)."""

from __future__ import annotations

from mldojo.catalogue import Catalogue
from mldojo.progress import NOT_STARTED, PASSED, STATE_MARKS, current_exercise, exercise_statuses
from mldojo.words import plural


def list_data(catalogue: Catalogue, workspace) -> dict:
    """The list as JSON-ready data (docs/json.md); workspace None: outside one, every exercise not started."""
    records, revealed = {}, set()
    if workspace is not None:
        from mldojo.tracker import summary

        records = summary.exercise_records(workspace.tracker_path)
        revealed = summary.revealed_exercises(workspace.tracker_path)
    statuses = exercise_statuses(catalogue, records, workspace, revealed)
    current = current_exercise(catalogue, {i: s.state for i, s in statuses.items()})
    stages = []
    for stage in catalogue.stages:
        exercises = [statuses[e.id] for e in catalogue.exercises_of(stage.id)]
        stages.append({
            "id": stage.id,
            "title": stage.title,
            "passed": sum(1 for e in exercises if e.state == PASSED),
            "total": len(exercises),
            "exercises": [e.to_dict() for e in exercises],
        })
    return {
        "workspace": str(workspace.root) if workspace is not None else None,
        "current": current.id if current and workspace is not None else None,
        "stages": stages,
    }


def print_list(data: dict) -> None:
    """The list as text: a line per exercise (mark, id, title, state and notes), then what is next."""
    for stage in data["stages"]:
        print(f"{stage['id']} — {stage['title']}  ({stage['passed']}/{stage['total']} passed)")
        for exercise in stage["exercises"]:
            words = "" if exercise["state"] == NOT_STARTED else exercise["words"]
            notes = " · ".join([words] + exercise["notes"]) if words else " · ".join(exercise["notes"])
            here = "  ← next" if exercise["id"] == data["current"] else ""
            line = f"  {STATE_MARKS[exercise['state']]} {exercise['id']:<24} {exercise['title']:<30} {notes}{here}"
            print(line.rstrip())
        if not stage["exercises"]:
            print("    (no exercises yet)")
    if data["workspace"] is None:
        print("(not in a workspace: `grade init course` creates one)")
        return
    passed = sum(stage["passed"] for stage in data["stages"])
    total = sum(stage["total"] for stage in data["stages"])
    if data["current"]:
        print(f"\n{passed} of {plural(total, 'exercise')} pass. Next: grade {data['current']}  (or just `grade`)")
    else:
        print(f"\nAll {plural(total, 'exercise')} pass. `grade status` shows each stage's \"done when\".")
