"""Grading a Jupyter notebook: which cells are graded, and the module built from them."""

from __future__ import annotations

import pytest

from mldojo.notebook import NotebookError, graded_code


def test_export_marked_cells_are_graded_whole_and_nothing_else():
    code = graded_code(["#| export\nimport math\ndef f(x):\n    return x\nprint(f(2))",
                        "def helper():\n    return 1",
                        "# export\nclass V:\n    pass",
                        "f(3)"])
    assert code.how == "export marks" and code.cells == (1, 3)
    assert "print(f(2))" in code.source and "helper" not in code.source and "# %% cell 3" in code.source


def test_without_marks_only_definitions_are_graded():
    code = graded_code(["import numpy as np\nX = np.zeros(3)\nN = 5\ndef f(x):\n    return x\nf(2)\nprint('hi')",
                        "for i in range(3):\n    print(i)",
                        "@staticmethod\ndef g():\n    return 1"])
    assert code.how == "definitions" and code.cells == (1, 3)
    assert "import numpy as np" in code.source and "N = 5" in code.source and "def f" in code.source
    assert "np.zeros" not in code.source and "print" not in code.source and "@staticmethod" in code.source


def test_ipython_syntax_is_never_graded():
    code = graded_code(["%matplotlib inline\n!pip install x\ndef f():\n    return 1", "%%time\nf()"])
    assert "%matplotlib" not in code.source and "!pip" not in code.source and "%%time" not in code.source and code.cells == (1,)


def test_a_notebook_without_code_says_what_to_do():
    with pytest.raises(NotebookError, match="#| export"):
        graded_code(["print('hello')", "1 + 1"])
