"""The exercises of lesson 08 (exercises/ex06_language_model.ipynb): `perplexity` and `top_k`.

Correct answers pass, stubs say "not implemented", every catalogued mistake written the way a
learner writes it is named, and mutants of the right answers (off-by-one, wrong axis, wrong
fill, casts, ...) lose points on the hidden cases alone. The references are checked against
versions written here from SciPy and plain NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from course_lib import softmax
from course_lib.grading import check
from course_lib.grading.attempt import run_case
from course_lib.grading.registry import EXERCISES, assess

IDS = ("perplexity", "top_k")


def stub(*args, **kwargs):
    raise NotImplementedError


# --- correct answers, the way the solution notebook writes them ---------------------------


def good_perplexity(logits, targets):
    z = np.asarray(logits, dtype=float)
    m = z.max(axis=-1, keepdims=True)
    log_p = z - (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))
    return np.exp(-log_p[np.arange(len(targets)), targets].mean())


def good_top_k(logits, k):
    z = np.asarray(logits)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(float)
    kth = -np.sort(-z, axis=-1)[..., min(k, z.shape[-1]) - 1 : min(k, z.shape[-1])]
    return np.where(z >= kth, z, -np.inf)


GOOD = {"perplexity": good_perplexity, "top_k": good_top_k}


def _nll(logits, targets):
    z = np.asarray(logits, dtype=float)
    return -special.log_softmax(z, axis=-1)[np.arange(len(targets)), targets]


def _k_sorted(logits, k):
    z = np.asarray(logits, dtype=float)
    return np.sort(z, axis=-1), min(k, z.shape[-1])


# --- mistakes, written the way learners write them ----------------------------------------


def ppl_no_exp(logits, targets):
    return _nll(logits, targets).mean()


def ppl_exp_sum(logits, targets):
    return np.exp(_nll(logits, targets).sum())


def ppl_mean_of_exp(logits, targets):
    return np.mean(np.exp(_nll(logits, targets)))


def ppl_sign(logits, targets):
    return np.exp(-_nll(logits, targets).mean())


def ppl_inverse_mean_prob(logits, targets):
    p = special.softmax(np.asarray(logits, dtype=float), axis=-1)
    return 1.0 / p[np.arange(len(targets)), targets].mean()


def ppl_log_softmax(logits, targets):
    p = special.softmax(np.asarray(logits, dtype=float), axis=-1)
    return np.exp(-np.mean(np.log(p[np.arange(len(targets)), targets])))


def topk_argsort(logits, k):
    z = np.asarray(logits, dtype=float)
    idx = np.argsort(-z, axis=-1, kind="stable")[..., :k]  # the first tied tokens win
    out = np.full_like(z, -np.inf)
    np.put_along_axis(out, idx, np.take_along_axis(z, idx, axis=-1), axis=-1)
    return out


def topk_argsort_end(logits, k):
    z = np.asarray(logits, dtype=float)
    idx = np.argsort(z, axis=-1, kind="stable")[..., -k:]  # the last tied tokens win
    out = np.full_like(z, -np.inf)
    np.put_along_axis(out, idx, np.take_along_axis(z, idx, axis=-1), axis=-1)
    return out


def topk_one_more(logits, k):
    s, k = _k_sorted(logits, k)
    z = np.asarray(logits, dtype=float)
    kth = s[..., max(z.shape[-1] - k - 1, 0)][..., None]
    return np.where(z >= kth, z, -np.inf)


def topk_one_fewer(logits, k):
    s, k = _k_sorted(logits, k)
    z = np.asarray(logits, dtype=float)
    return np.where(z >= s[..., -(k - 1) if k > 1 else -1][..., None], z, -np.inf)


def topk_zeros(logits, k):
    z = good_top_k(logits, k)
    return np.where(np.isneginf(z) & ~np.isneginf(np.asarray(logits, dtype=float)), 0.0, z)


def topk_probs(logits, k):
    return softmax(good_top_k(logits, k))


def topk_whole_batch(logits, k):
    z = np.asarray(logits, dtype=float)
    kth = np.sort(z, axis=None)[-k]
    return np.where(z >= kth, z, -np.inf)


def topk_smallest(logits, k):
    s, k = _k_sorted(logits, k)
    z = np.asarray(logits, dtype=float)
    return np.where(z <= s[..., k - 1 : k], z, -np.inf)


def ppl_product(logits, targets):
    p = special.softmax(np.asarray(logits, dtype=float), axis=-1)
    return np.prod(p[np.arange(len(targets)), targets]) ** (-1 / len(targets))


def ppl_global_max(logits, targets):
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max())
    p = e / e.sum(axis=-1, keepdims=True)
    return np.exp(-np.mean(np.log(p[np.arange(len(targets)), targets])))


def topk_without_min(logits, k):
    z = np.asarray(logits, dtype=float)
    kth = -np.sort(-z, axis=-1)[..., k - 1 : k]
    return np.where(z >= kth, z, -np.inf)


OTHER_CASES = [
    ("perplexity", ppl_product, "product of probabilities"),
    ("perplexity", ppl_global_max, "shift by the global max of the batch"),
    ("top_k", topk_without_min, "k larger than the number of classes"),
    ("perplexity", ppl_no_exp, "exp forgotten"),
    ("perplexity", ppl_exp_sum, "exp of the sum"),
    ("perplexity", ppl_mean_of_exp, "mean of per-sample perplexities"),
    ("perplexity", ppl_sign, "sign flipped"),
    ("perplexity", ppl_inverse_mean_prob, "inverse of the mean probability"),
    ("perplexity", ppl_log_softmax, "log of softmax"),
    ("top_k", topk_argsort, "ties broken"),
    ("top_k", topk_argsort_end, "ties broken (the last ones kept)"),
    ("top_k", topk_one_more, "one token too many"),
    ("top_k", topk_one_fewer, "one token too few"),
    ("top_k", topk_zeros, "zeros instead of -inf"),
    ("top_k", topk_probs, "probabilities returned"),
    ("top_k", topk_whole_batch, "whole-batch threshold"),
    ("top_k", topk_smallest, "smallest kept"),
]


def _mutating(good):
    def fn(*args, **kwargs):
        out = np.array(good(*args, **kwargs), copy=True)
        if isinstance(args[0], np.ndarray):
            args[0][...] = 0
        return out

    return fn


@pytest.mark.parametrize("ex_id", IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_answers_pass_visible_and_hidden(ex_id, seed):
    result = check(ex_id, GOOD[ex_id], seed=seed, quiet=True)
    assert result.passed and result.score == 1.0, result.message
    hidden = len(EXERCISES[ex_id].cases(np.random.default_rng(seed), hidden=True))
    assert f"visible cases passed; grading adds {hidden} hidden cases (" in result.message
    ex = EXERCISES[ex_id]
    rng = np.random.default_rng(seed)
    cases = ex.cases(rng, hidden=False) + ex.cases(rng, hidden=True)
    res = assess(ex_id, cases, [run_case(GOOD[ex_id], c.args, c.kwargs) for c in cases])
    assert res.passed, res.message


@pytest.mark.parametrize("ex_id", IDS)
def test_stub_and_mutation_of_the_input(ex_id):
    result = check(ex_id, stub, quiet=True)
    assert not result.passed and "not implemented yet" in result.message
    result = check(ex_id, _mutating(GOOD[ex_id]), seed=0, quiet=True)
    assert "It looks like: input mutated." in result.message, result.message


@pytest.mark.parametrize("ex_id,fn,mistake", OTHER_CASES,
                         ids=[f"{e}-{m}" for e, _, m in OTHER_CASES])
def test_every_catalogued_mistake_is_named(ex_id, fn, mistake):
    for seed in range(3):
        result = check(ex_id, fn, seed=seed, quiet=True)
        assert not result.passed
        assert f"It looks like: {mistake}." in result.message, result.message


def test_the_catalogue_is_covered_exactly():
    tested = {(e, m) for e, _, m in OTHER_CASES} | {(e, "input mutated") for e in IDS}
    catalogued = {(e, m.name) for e in IDS for m in EXERCISES[e].mistakes}
    assert tested == catalogued


# --- mutation test: every mutant that differs from the answer loses points on hidden cases


def _mutants_perplexity():
    def nll(z, t):
        return _nll(z, t)

    return {
        "no exp": lambda z, t: nll(z, t).mean(),
        "exp of sum": lambda z, t: np.exp(nll(z, t).sum()),
        "mean of exp": lambda z, t: np.mean(np.exp(nll(z, t))),
        "base 2 of nats": lambda z, t: 2 ** nll(z, t).mean(),
        "1/mean p": ppl_inverse_mean_prob,
        "median instead of mean": lambda z, t: np.exp(np.median(nll(z, t))),
        "targets off by one": lambda z, t: np.exp(np.mean(nll(z, (np.asarray(t) + 1) % np.shape(
            z)[-1]))),
        "no max shift": lambda z, t: np.exp(np.mean(-np.log(np.exp(np.asarray(z, float))[
            np.arange(len(t)), t] / np.exp(np.asarray(z, float)).sum(-1)))),
        "float32 arithmetic": lambda z, t: np.exp(nll(np.asarray(z, np.float32), t).astype(
            np.float32).mean(dtype=np.float32)),
        "mean over classes too": lambda z, t: np.exp(-special.log_softmax(np.asarray(
            z, float), axis=-1).mean()),
        "softmax over the batch axis": lambda z, t: np.exp(-np.mean(special.log_softmax(
            np.asarray(z, float), axis=0)[np.arange(len(t)), t])),
        "divides by n + 1": lambda z, t: np.exp(nll(z, t).sum() / (len(t) + 1)),
    }


def _mutants_top_k():
    def where(z, kth, fill=-np.inf):
        return np.where(z >= kth, z, fill)

    def f(x):
        return np.asarray(x, dtype=float)

    def in_place(x, k):
        z = np.asarray(x)
        kth = -np.sort(-z, axis=-1)[..., min(k, z.shape[-1]) - 1 : min(k, z.shape[-1])]
        z[z < kth] = -np.inf
        return z

    return {
        "exactly k": topk_argsort,
        "exactly k, last ties": topk_argsort_end,
        "k + 1": topk_one_more,
        "k - 1": topk_one_fewer,
        "zero fill": topk_zeros,
        "nan fill": lambda x, k: np.where(np.isneginf(good_top_k(x, k)) & ~np.isneginf(f(x)),
                                          np.nan, good_top_k(x, k)),
        "large negative fill": lambda x, k: where(f(x), -np.sort(-f(x), -1)[
            ..., min(k, f(x).shape[-1]) - 1, None], -1e9),
        "probabilities": topk_probs,
        "whole batch": topk_whole_batch,
        "smallest": topk_smallest,
        "strict >": lambda x, k: np.where(f(x) > -np.sort(-f(x), -1)[
            ..., min(k, f(x).shape[-1]) - 1, None], f(x), -np.inf),
        "threshold along axis 0": lambda x, k: where(f(x), -np.sort(-f(x), 0)[
            min(k, f(x).shape[0]) - 1 : min(k, f(x).shape[0])]),
        "always float32": lambda x, k: good_top_k(x, k).astype(np.float32),
        "sorted output": lambda x, k: -np.sort(-good_top_k(x, k), axis=-1),
        "k clipped to K - 1": lambda x, k: good_top_k(x, min(k, f(x).shape[-1] - 1)),
        "in place": in_place,
    }


@pytest.mark.parametrize("ex_id,mutants", [("perplexity", _mutants_perplexity()),
                                          ("top_k", _mutants_top_k())], ids=IDS)
def test_mutants_lose_points_on_the_hidden_cases(ex_id, mutants):
    ex = EXERCISES[ex_id]
    for seed in range(3):
        hidden = ex.cases(np.random.default_rng(seed), hidden=True)
        for name, mutant in mutants.items():
            res = assess(ex_id, hidden, [run_case(mutant, c.args, c.kwargs) for c in hidden])
            assert res.score < 1.0, f"{ex_id}: mutant {name!r} passes every hidden case"


@pytest.mark.parametrize("ex_id", IDS)
def test_references_agree_with_independent_versions(ex_id):
    ex = EXERCISES[ex_id]
    rng = np.random.default_rng(11)
    for c in ex.cases(rng, hidden=False) + ex.cases(rng, hidden=True):
        got = np.asarray(ex.reference(*c.args, **c.kwargs))
        if ex_id == "perplexity":
            want = np.exp(np.mean(_nll(*c.args)))
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=c.label)
        else:
            x, k = np.asarray(c.args[0], dtype=float), c.args[1]
            flat = x.reshape(-1, x.shape[-1])
            want = np.array([[v if sum(w > v for w in row) < k else -np.inf for v in row]
                             for row in flat]).reshape(x.shape)
            np.testing.assert_array_equal(got.astype(float), want, err_msg=c.label)
            assert got.dtype == (np.float32 if np.asarray(c.args[0]).dtype == np.float32
                                 else np.float64)


def test_uniform_logits_have_perplexity_k_and_messages_are_stable():
    z = np.zeros((3, 7))
    assert EXERCISES["perplexity"].reference(z, [0, 3, 6]) == pytest.approx(7.0, rel=1e-14)
    a = check("top_k", topk_argsort, seed=0, quiet=True).message
    b = check("top_k", topk_argsort, seed=1, quiet=True).message
    assert a == b
