"""Classrooms in CI: grade every exercise of a workspace and write the verdicts where CI engines
read them — JUnit XML (GitHub Actions, GitLab, Jenkins) and Gradescope's results.json — plus
the GitHub Actions workflow that does it on every push (`grade init --ci github`).

Both files hold the same verdicts, from the same gradings as `grade ID` (recorded in the
tracker too): one JUnit test suite per exercise with one test case per check, and one
Gradescope test per exercise worth 1 point when it passes (its checks in the output).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

PASSED, NOT_RUN = "passed", ("skipped", "not_implemented")
ERRORS = ("error", "timeout", "crashed", "exited", "out_of_memory", "syntax_error", "forbidden", "interrupted")


def junit_xml(reports: list) -> str:
    """The reports (GradeReport objects or their to_dict()) as a JUnit XML document."""
    suites = ET.Element("testsuites", name="mldojo")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for report in map(_as_dict, reports):
        checks = report.get("checks") or []
        suite = ET.SubElement(suites, "testsuite", name=report["exercise"])
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if not checks:  # decided before any check ran: a stub, a syntax error, a forbidden import
            checks = [{"name": "grading", "verdict": report["verdict"], "message": report.get("problem", ""), "duration_s": 0.0}]
        for check in checks:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=report["exercise"].replace("/", "."), name=check["name"],
                                 time=f"{float(check.get('duration_s', 0.0)):.3f}")
            verdict, text = check.get("verdict"), _check_text(check)
            if verdict == PASSED:
                continue
            if verdict in NOT_RUN:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=_first_line(text) or verdict)
            elif verdict in ERRORS:
                counts["errors"] += 1
                ET.SubElement(case, "error", message=_first_line(text), type=verdict).text = text
            else:
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=_first_line(text), type=verdict).text = text
        suite.set("time", f"{float(report.get('duration_s', 0.0)):.3f}")
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        totals["time"] += float(report.get("duration_s", 0.0))
    for key, value in totals.items():
        suites.set(key, f"{value:.3f}" if key == "time" else str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def gradescope_results(reports: list) -> dict:
    """The reports as Gradescope's results.json: one test per exercise, 1 point when it passes."""
    tests = []
    for report in map(_as_dict, reports):
        passed = report["verdict"] == PASSED
        lines = [f"{report['exercise']}: {report['verdict'].replace('_', ' ')}"]
        if report.get("problem"):
            lines.append(report["problem"])
        for check in report.get("checks") or []:
            mark = "✓" if check.get("verdict") == PASSED else "✗"
            lines.append(f"{mark} {check['name']}")
            if check.get("verdict") != PASSED:
                lines.append("    " + _check_text(check).replace("\n", "\n    "))
        tests.append({"name": report["exercise"], "score": 1.0 if passed else 0.0, "max_score": 1.0,
                      "status": "passed" if passed else "failed", "output": "\n".join(lines), "visibility": "visible"})
    score = sum(t["score"] for t in tests)
    return {"score": score, "max_score": float(len(tests)), "output": f"{score:g} of {len(tests)} exercises pass (mldojo)",
            "visibility": "visible", "stdout_visibility": "visible", "tests": tests}


def write_exports(reports: list, junit: Path | None, gradescope: Path | None) -> None:
    """Write whichever files were asked for."""
    if junit is not None:
        Path(junit).write_text(junit_xml(reports), encoding="utf-8")
    if gradescope is not None:
        Path(gradescope).write_text(json.dumps(gradescope_results(reports), indent=2, ensure_ascii=False), encoding="utf-8")


def _as_dict(report) -> dict:
    return report if isinstance(report, dict) else report.to_dict()


def _check_text(check: dict) -> str:
    parts = [check.get("message", "")]
    if check.get("inputs"):
        parts.append("on this input:\n" + check["inputs"])
    if check.get("diagnosis"):
        parts.append("Diagnosis: " + check["diagnosis"])
    if check.get("traceback"):
        parts.append(check["traceback"])
    return "\n".join(p for p in parts if p)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""


WORKFLOW = """\
# Grades every exercise of this mldojo workspace on each push, in a sandbox, and publishes
# the verdicts: a summary on the run's page, and JUnit XML + Gradescope results.json as
# artifacts. Written by `grade init --ci github`; edit freely.
name: mldojo
on:
  push:
  pull_request:
  workflow_dispatch:
jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    env:
      # The CPU build of torch (a plain `pip install torch` pulls several GB of CUDA).
      TORCH_INSTALL: "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
      MLDOJO_PACKAGE: "mldojo"
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install bubblewrap (the sandbox for your code)
        run: sudo apt-get install -y bubblewrap || echo "no bubblewrap; grading runs unsandboxed"
      - name: Install mldojo
        run: |
          python -m venv .mldojo-venv
          . .mldojo-venv/bin/activate
          pip install $TORCH_INSTALL
          pip install "$MLDOJO_PACKAGE"
      - name: Grade every exercise
        run: |
          . .mldojo-venv/bin/activate
          grade all --junit mldojo-junit.xml --gradescope results.json --summary mldojo-summary.md
      - name: Publish the verdicts
        if: always()
        run: cat mldojo-summary.md >> "$GITHUB_STEP_SUMMARY" || true
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: mldojo-results
          path: |
            mldojo-junit.xml
            results.json
            mldojo-summary.md
"""


def write_workflow(root: Path) -> Path:
    """.github/workflows/mldojo.yml in the workspace (an existing file is kept); its path."""
    path = Path(root) / ".github" / "workflows" / "mldojo.yml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(WORKFLOW, encoding="utf-8")
    return path


def markdown_summary(reports: list) -> str:
    """One table for the CI run's summary page."""
    rows = ["| exercise | verdict | checks |", "| --- | --- | --- |"]
    for report in map(_as_dict, reports):
        checks = report.get("checks") or []
        passed = sum(1 for c in checks if c.get("verdict") == PASSED)
        mark = "✅" if report["verdict"] == PASSED else "❌"
        rows.append(f"| `{report['exercise']}` | {mark} {report['verdict'].replace('_', ' ')} | {passed}/{len(checks)} |")
    done = sum(1 for r in map(_as_dict, reports) if r["verdict"] == PASSED)
    return f"### mldojo: {done} of {len(reports)} exercises pass\n\n" + "\n".join(rows) + "\n"
