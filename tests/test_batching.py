"""Epoch / iteration / batch-size bookkeeping, with the textbook numbers."""
import numpy as np
import pytest

from fastsgd import EpochPlan, LinearTrainer


def test_textbook_numbers():
    plan = EpochPlan(60000, 100)
    assert plan.iterations_per_epoch == 600
    assert plan.iterations_for(10) == 6000
    assert plan.epochs_for(30000) == 50
    assert EpochPlan(1000, 500).iterations_for(3) == 6
    assert EpochPlan(34, 16).batch_sizes().tolist() == [16, 16, 2]
    assert EpochPlan(34, 16, drop_last=True).batch_sizes().tolist() == [16, 16]
    assert EpochPlan(34, 16, drop_last=True).iterations_per_epoch == 2
    assert EpochPlan(34, 16).iterations_per_epoch == 3


@pytest.mark.parametrize("n,b", [(1, 1), (10, 1), (10, 10), (10, 3), (60000, 100), (7, 4)])
def test_batches_cover_the_epoch(n, b):
    plan = EpochPlan(n, b)
    sizes = plan.batch_sizes()
    assert sizes.sum() == n == plan.samples_per_epoch
    assert len(sizes) == plan.iterations_per_epoch == -(-n // b)
    bounds = [plan.batch_bounds(i) for i in range(plan.iterations_per_epoch)]
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(stop - start == s for (start, stop), s in zip(bounds, sizes))
    dropped = EpochPlan(n, b, drop_last=True)
    assert dropped.iterations_per_epoch == n // b
    assert dropped.samples_per_epoch == (n // b) * b


def test_epochs_for_rounds_up():
    plan = EpochPlan(100, 30)  # 4 iterations per epoch
    assert plan.epochs_for(0) == 0
    assert plan.epochs_for(4) == 1
    assert plan.epochs_for(5) == 2


@pytest.mark.parametrize("bad,exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                     ("8", TypeError), (True, TypeError), (None, TypeError)])
def test_bad_batch_size(bad, exc):
    with pytest.raises(exc, match="batch_size"):
        EpochPlan(10, bad)


def test_plan_rejects_batch_larger_than_data():
    with pytest.raises(ValueError, match="batch_size"):
        EpochPlan(10, 11)
    with pytest.raises(ValueError, match="n_samples"):
        EpochPlan(0, 1)


def _data(n=1000, d=3):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    return X, X @ np.ones(d)


def test_trainer_counts_match_the_plan():
    X, y = _data(1000)
    tr = LinearTrainer(batch_size=500, max_iter=3, tol=None).fit(X, y)
    assert tr.n_updates_ == 6 and tr.n_epochs_ == 3 and tr.t_ == 7.0
    assert tr.samples_seen_ == 3000
    assert tr.history_["iterations"] == [2, 4, 6]
    assert tr.history_["samples_seen"] == [1000, 2000, 3000]


def test_update_budget_stops_mid_epoch():
    X, y = _data(1000)
    tr = LinearTrainer(batch_size=100, max_iter=None, max_updates=25, tol=None).fit(X, y)
    assert tr.n_updates_ == 25
    assert tr.n_epochs_ == 3  # two full epochs and a partial third
    assert tr.samples_seen_ == 2500
    assert tr.stop_reason_ == "max_updates"
    both = LinearTrainer(batch_size=100, max_iter=2, max_updates=25, tol=None).fit(X, y)
    assert both.n_updates_ == 20 and both.stop_reason_ == "max_iter"


def test_drop_last_counts():
    X, y = _data(34)
    tr = LinearTrainer(batch_size=16, drop_last=True, max_iter=3, tol=None).fit(X, y)
    assert tr.n_updates_ == 6 and tr.samples_seen_ == 96


def test_batch_size_larger_than_data_is_clipped_with_warning():
    X, y = _data(50)
    with pytest.warns(UserWarning, match="batch_size=64 is larger"):
        tr = LinearTrainer(batch_size=64, max_iter=2, tol=None).fit(X, y)
    assert tr.n_updates_ == 2


def test_regimes_sgd_minibatch_batch():
    X, y = _data(120)
    for batch_size, per_epoch in [(1, 120), (32, 4), (120, 1)]:
        tr = LinearTrainer(batch_size=batch_size, max_iter=2, tol=None).fit(X, y)
        assert tr.n_updates_ == 2 * per_epoch
