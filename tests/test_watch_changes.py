"""How `grade watch` notices a save (mldojo/watch.py): a cheap stat per poll, the bytes read only
when it changed, and a save still being written is graded once, whole."""

from __future__ import annotations

import os
from types import SimpleNamespace

from mldojo import watch


def session_for(path):
    workspace = SimpleNamespace(exercise_file=lambda exercise_id: path)
    return watch._Session(workspace, SimpleNamespace(id="stage1/linreg"), None, out=None, reader=None)


def test_a_change_is_seen_once_and_a_touch_is_not_a_change(tmp_path, monkeypatch):
    monkeypatch.setattr(watch.time, "sleep", lambda seconds: None)  # settling: nothing changes meanwhile
    path = tmp_path / "linreg.py"
    path.write_text("x = 1\n")
    session = session_for(path)
    assert session.changed(), "the first look grades"
    assert not session.changed(), "nothing happened since"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched: same bytes, newer time
    assert not session.changed(), "a touch is not a save"
    path.write_text("x = 2\n")
    assert session.changed()
    assert not session.changed()


def test_a_missing_file_is_a_state_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(watch.time, "sleep", lambda seconds: None)
    path = tmp_path / "linreg.py"
    path.write_text("x = 1\n")
    session = session_for(path)
    assert session.changed()
    path.unlink()
    assert session.changed(), "a deleted file is graded (and says it is missing)"
    assert not session.changed()


def test_a_save_still_being_written_is_waited_for(tmp_path, monkeypatch):
    """Metadata that moves between two looks (an editor truncating, then writing) is looked at
    again until it holds still; the grading then reads the whole file."""
    path = tmp_path / "linreg.py"
    looks = iter([("ino", 0, 1, 1), ("ino", 120, 2, 2), ("ino", 120, 2, 2)])
    monkeypatch.setattr(watch, "stat_state", lambda p: next(looks))
    monkeypatch.setattr(watch.time, "sleep", lambda seconds: None)
    assert watch.settled(path, ("ino", 0, 0, 0)) == ("ino", 120, 2, 2)
