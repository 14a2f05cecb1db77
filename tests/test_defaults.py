"""The stub's stated defaults: a changed literal default fails, a differently written correct file passes."""

from __future__ import annotations

import ast

import pytest

from grading import explain, grade_source, package_file
from mldojo.graders.engine.defaults import NAME, changed_defaults, same_default

STUB = '''
class Model:
    def __init__(self, lr=0.01, n_iter=1000, betas=(0.9, 0.999), seed=None, verbose=False):
        raise NotImplementedError

def step(w, dw, config=None, *, eps=1e-8):
    raise NotImplementedError
'''


def changed(learner: str) -> list[str]:
    return changed_defaults(ast.parse(STUB), ast.parse(learner))


def test_the_same_values_written_another_way_pass():
    learner = '''
class Model:
    def __init__(self, lr: float = 1e-2, n_iter: int = 1_000, betas=[0.9, 0.999], seed=None, verbose=False, extra=3):
        self.lr = lr

def step(w, dw, config=None, *, eps=0.00000001):
    return w
'''
    assert changed(learner) == []


def test_a_renamed_dropped_or_computed_default_is_left_to_the_behavioural_checks():
    learner = '''
class Model:
    def __init__(self, learning_rate=0.5, n_iter=10 ** 3, **kwargs):
        pass

def step(w, dw, config=None, **kw):
    return w
'''
    assert changed(learner) == []


@pytest.mark.parametrize("edit, words", [
    (("n_iter=1000", "n_iter=999"), "Model.__init__(n_iter=999): the stub says n_iter=1000"),
    (("lr=0.01", "lr=0.1"), "Model.__init__(lr=0.1): the stub says lr=0.01"),
    (("betas=(0.9, 0.999)", "betas=(0.9, 0.99)"), "betas=(0.9, 0.99)"),
    (("seed=None", "seed=0"), "seed=0): the stub says seed=None"),
    (("verbose=False", "verbose=0"), "verbose=0): the stub says verbose=False"),
    (("config=None", "config={}"), "step(config={}): the stub says config=None"),
    (("eps=1e-8", "eps=1e-7"), "step(eps=1e-07)"),
])
def test_a_changed_literal_default_is_named(edit, words):
    lines = changed(STUB.replace(*edit))
    assert len(lines) == 1 and words in lines[0], lines


def test_arithmetic_on_numbers_is_compared_by_its_value():
    stub = "class Net:\n    def __init__(self, input_dim=3 * 32 * 32, scale=-1e-2):\n        pass\n"
    same = stub.replace("3 * 32 * 32", "3072").replace("-1e-2", "-0.01")
    assert changed_defaults(ast.parse(stub), ast.parse(same)) == []
    assert changed_defaults(ast.parse(stub), ast.parse(stub.replace("3 * 32 * 32", "32 * 32 * 3"))) == []
    (line,) = changed_defaults(ast.parse(stub), ast.parse(stub.replace("3 * 32 * 32", "4 * 32 * 32")))
    assert "Net.__init__(input_dim=4096): the stub says input_dim=3072" in line


def test_a_default_too_large_to_compute_is_left_alone():
    """The learner's file is untrusted: 9 ** 9 ** 9 would stall the judge, so it is not evaluated."""
    stub = "def f(n=1000):\n    pass\n"
    for huge in ("9 ** 9 ** 9", "1 << 10 ** 9", "2.0 ** 10 ** 9", "1 / 0"):
        assert changed_defaults(ast.parse(stub), ast.parse(stub.replace("1000", huge))) == [], huge


def test_numbers_compare_by_value_and_booleans_and_none_by_identity():
    assert same_default(1, 1.0) and same_default(0.01, 1e-2) and same_default((1, 2), [1, 2])
    assert not same_default(1, True) and not same_default(0, None) and not same_default("a", "b")


def test_grading_fails_the_check_on_a_changed_default_and_passes_the_reference(tmp_path):
    reference = package_file("reference", "stage1/linreg").read_text()
    assert "n_iter=1000" in reference
    report = grade_source("stage1/linreg", reference.replace("n_iter=1000", "n_iter=999"), tmp_path / "changed", only=(NAME,))
    (outcome,) = report.checks
    assert outcome.verdict == "failed" and "n_iter=999" in outcome.message, explain(report)
    report = grade_source("stage1/linreg", reference, tmp_path / "reference", only=(NAME,))
    assert report.passed, explain(report)


def test_a_training_exercise_has_no_such_check(tmp_path):
    # stage3/mnist_torch's train(epochs=..., lr=...) defaults are the learner's to tune.
    report = grade_source("stage3/mnist_torch", package_file("reference", "stage3/mnist_torch"), tmp_path, only=(NAME,))
    assert "has no check" in report.problem, explain(report)


def test_an_exercise_whose_stub_states_no_default_has_no_such_check(tmp_path):
    report = grade_source("stage3/conv", package_file("reference", "stage3/conv"), tmp_path, only=(NAME,))
    assert "has no check" in report.problem, explain(report)


def test_a_training_exercise_checks_only_the_defaults_its_grader_calls_api(tmp_path):
    # stage3/resnet lists BasicBlock, ResNet and build_model in API_DEFAULTS; train's defaults stay the learner's.
    reference = package_file("reference", "stage3/resnet").read_text()
    changed = reference.replace("def __init__(self, in_channels, out_channels, stride=1):",
                                "def __init__(self, in_channels, out_channels, stride=2):")
    report = grade_source("stage3/resnet", changed, tmp_path / "stride", only=(NAME,))
    (outcome,) = report.checks
    assert outcome.verdict == "failed" and "BasicBlock.__init__(stride=2)" in outcome.message, explain(report)
    tuned = reference.replace("on_epoch=None, epochs=None, batch_size=128, lr=5e-3", "on_epoch=None, epochs=9, batch_size=64, lr=1e-3")
    assert tuned != reference
    report = grade_source("stage3/resnet", tuned, tmp_path / "tuned", only=(NAME,))
    assert report.passed, explain(report)


def test_a_dataclass_fields_defaults_are_compared():
    stub = "@dataclass\nclass Config:\n    size: int = 1024\n    bias: bool = True\n    name: str = 'gpt'\n"
    learner = "@dataclass\nclass Config:\n    size: int = 512\n    bias: bool = True\n    name = 'gpt'\n"
    assert changed_defaults(ast.parse(stub), ast.parse(learner)) == ["Config(size=512): the stub says size=1024"]
