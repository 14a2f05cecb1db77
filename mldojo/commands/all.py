"""`grade all`: grade every exercise of the workspace (CI, classrooms), with exports CI engines read."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mldojo.commands import EXIT_FAIL, EXIT_PASS, UsageError, find_workspace, load_catalogue

HELP = "grade every exercise (for CI): one line each, JUnit XML / Gradescope results.json on request"


def configure(parser) -> None:
    """`grade all [--stage S] [--junit F] [--gradescope F] [--summary F] [--json]`."""
    parser.add_argument("--stage", help="only this stage's exercises (e.g. stage1)")
    parser.add_argument("--junit", metavar="FILE", help="write the verdicts as JUnit XML (GitHub Actions, GitLab, Jenkins)")
    parser.add_argument("--gradescope", metavar="FILE", help="write Gradescope's results.json")
    parser.add_argument("--summary", metavar="FILE", help="write a Markdown table (for $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--json", action="store_true", help="print every report as JSON")


def run(args) -> int:
    """Grade each exercise in catalogue order, record each attempt, write the exports; 0 when all pass."""
    from mldojo.classroom import markdown_summary, write_exports
    from mldojo.grading import grade_exercise, summary_line

    workspace = find_workspace(args)
    catalogue = load_catalogue()
    exercises = [e for e in catalogue.exercises if not args.stage or e.stage == args.stage]
    if not exercises:
        raise UsageError(f"there is no stage {args.stage!r}; stages: {', '.join(s.id for s in catalogue.stages)}")
    reports = []
    for exercise in exercises:
        graded = grade_exercise(workspace, exercise, on_progress=None)
        reports.append(graded.report)
        if not args.json:
            mark = "✓" if graded.report.passed else "✗"
            print(f"{mark} {exercise.id:<24} {summary_line(graded.report)}", flush=True)
    write_exports(reports, Path(args.junit) if args.junit else None, Path(args.gradescope) if args.gradescope else None)
    if args.summary:
        Path(args.summary).write_text(markdown_summary(reports), encoding="utf-8")
    passed = sum(1 for r in reports if r.passed)
    if args.json:
        print(json.dumps({"passed": passed, "total": len(reports), "reports": [r.to_dict() for r in reports]}, indent=2))
    else:
        print(f"\n{passed} of {len(reports)} exercises pass", file=sys.stdout)
    return EXIT_PASS if passed == len(reports) else EXIT_FAIL
