"""stage3/tokenizer beyond the generic tests: minbpe's own structure passes, the split patterns are
the published ones, the real-data check says how to get tiny Shakespeare, and the training
benchmark times only a tokenizer whose merges are the judge's."""

from __future__ import annotations

import importlib.util

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading import SOLUTIONS, explain, grade_edited_reference, grade_source, package_file

EXERCISE = "stage3/tokenizer"
MINBPE_STYLE = SOLUTIONS / "stage3" / "tokenizer_minbpe_style.py"


def test_minbpe_style_solution_passes_on_several_seeds(tmp_path):
    for seed in (None, 7):
        report = grade_source(EXERCISE, MINBPE_STYLE, tmp_path / f"s{seed}", seed=seed)
        assert report.passed, explain(report)


def _module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_split_patterns_are_the_published_ones_everywhere():
    from mldojo.graders.stage3 import tokenizer as grader

    stub = _module(package_file("exercises", EXERCISE), "stub_tokenizer")
    reference = _module(package_file("reference", EXERCISE), "reference_tokenizer")
    assert stub.GPT4_SPLIT_PATTERN == reference.GPT4_SPLIT_PATTERN == grader.GPT4
    assert stub.GPT2_SPLIT_PATTERN == reference.GPT2_SPLIT_PATTERN == grader.GPT2
    import regex

    assert regex.findall(grader.GPT4, "Hello've world123 how's   are you!!!?\n") == [
        "Hello", "'ve", " world", "123", " how", "'s", "  ", " are", " you", "!!!?\n"]


def test_the_judges_bpe_breaks_ties_by_first_occurrence():
    from mldojo.graders.stage3.tokenizer import chunks_of, learn

    # (b, a) and (a, b) both occur twice in "ba ab ba ab"-like bytes; (b, a) comes first
    assert learn([b"baab"], 1) == [(ord("b"), ord("a"))]
    assert learn([b"xy", b"ab", b"ab", b"xy"], 1) == [(ord("x"), ord("y"))]
    assert learn(chunks_of("ab ab", None), 1) == [(ord("a"), ord("b"))]


def test_without_tiny_shakespeare_the_check_that_needs_it_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MLDOJO_DATA_DIR", str(tmp_path / "empty"))
    report = grade_source(EXERCISE, package_file("reference", EXERCISE), tmp_path / "ws",
                          only=("tiny_shakespeare_merges_and_encodings_are_the_judges",))
    (outcome,) = report.checks
    assert outcome.verdict == "skipped" and "grade data fetch tinyshakespeare" in outcome.message, explain(report)


@pytest.mark.slow  # the judge learns 256 merges of tiny Shakespeare itself (about 15 s)
def test_the_benchmark_times_the_reference_and_refuses_wrong_merges(tmp_path):
    from mldojo.catalogue import load_catalogue
    from mldojo.graders.bench.stage3_tokenizer import measure

    exercise = load_catalogue().exercise(EXERCISE)
    (bench,) = exercise.benchmarks
    assert (bench.id, bench.device, bench.target_s) == ("cpu-train-512", "cpu", 30.0)
    target = tmp_path / "stage3" / "tokenizer.py"
    target.parent.mkdir(parents=True)
    target.write_text(package_file("reference", EXERCISE).read_text())
    outcome = measure(exercise, bench, target, tmp_path)
    assert outcome.status == "measured", outcome.message
    assert outcome.learner.timing.n == 1 and outcome.details["vocab_size"] == 512
    one_short = package_file("reference", EXERCISE).read_text().replace("vocab_size - 256)", "vocab_size - 257)")
    assert one_short != package_file("reference", EXERCISE).read_text()
    target.write_text(one_short)
    refused = measure(exercise, bench, target, tmp_path)
    assert refused.status == "failed" and "differ from the judge's" in refused.message, refused.message


from mldojo.graders.stage3 import tokenizer as grader  # noqa: E402


def counted_afresh(chunks, num_merges, tie="first"):
    """The judge's BPE written the plain way: every pair counted again for each merge (the spec of grader.learn)."""
    order, weight = [], {}
    for chunk in chunks:
        weight[chunk] = weight.get(chunk, 0) + 1
        if weight[chunk] == 1:
            order.append(chunk)
    words, mult, merges = [list(c) for c in order], [weight[c] for c in order], []
    for step in range(num_merges):
        counts, first = {}, {}
        for w, ids in enumerate(words):
            for i, pair in enumerate(zip(ids, ids[1:])):
                counts[pair] = counts.get(pair, 0) + mult[w]
                first.setdefault(pair, (w, i))
        if not counts:
            break
        if tie == "first":
            best = min(counts, key=lambda p: (-counts[p], first[p]))
        else:
            best = max(counts, key=lambda p: (counts[p], p if tie == "largest" else (-p[0], -p[1])))
        merges.append(best)
        words = [grader.replace(ids, best, 256 + step) for ids in words]
    return merges


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(chunks=st.lists(st.binary(max_size=14).map(lambda b: bytes(x % 5 for x in b)), max_size=9),
       num_merges=st.integers(0, 30), tie=st.sampled_from(["first", "largest", "smallest"]))
def test_the_judges_incremental_bpe_makes_the_merges_of_counting_afresh(chunks, num_merges, tie):
    assert grader.learn.__wrapped__(chunks, num_merges, tie) == counted_afresh(chunks, num_merges, tie)


def test_the_judges_incremental_bpe_on_the_graders_own_texts():
    for pattern in (None, grader.GPT4, grader.GPT2):
        chunks = grader.chunks_of(grader.CORPUS, pattern)
        assert grader.learn.__wrapped__(chunks, 44) == counted_afresh(chunks, 44)


# Found by mutation testing of the reference: each slip passed every check until the grader
# asked for ids above 256, a list longer than 256, 270 merges, ties at counts above 256, and
# the special tokens in the vocab after load.
SLIPS = {
    "merge_compares_ids_with_is": ("ids[i] == pair[0]", "ids[i] is pair[0]", "merge_replaces_pairs_left_to_right_without_overlap"),
    "merge_bounds_with_is_not": ("i + 1 < len(ids) and", "i + 1 is not len(ids) and", "merge_replaces_pairs_left_to_right_without_overlap"),
    "ties_kept_with_is": ("if n == top]", "if n is top]", "regex_train_never_merges_across_chunks"),
    "merge_ids_or_ed": ("idx = 256 + i", "idx = 256 | i", "basic_train_makes_the_judges_merges"),
    "merge_count_modulo": ("vocab_size - 256)}", "vocab_size % 256)}", "basic_train_makes_the_judges_merges"),
    "vocab_without_specials": ("        for special, idx in self.special_tokens.items():\n            vocab[idx]",
                               "        for special, idx in []:\n            vocab[idx]", "load_reads_the_judges_model_file"),
}


@pytest.mark.parametrize("name", sorted(SLIPS))
def test_a_slip_found_by_mutation_fails_its_check(name, tmp_path):
    old, new, check = SLIPS[name]
    report = grade_edited_reference(EXERCISE, old, new, tmp_path, only=(check,))
    assert not report.passed, f"{name} passed {check}"
