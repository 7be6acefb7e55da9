"""LinearTrainer: input validation, divergence, determinism, threads, resume, callbacks."""
import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from fastsgd import DivergenceError, LinearTrainer

from conftest import make_classification, make_regression


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("X,match", [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), "X contains NaN or infinity"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), "X contains NaN or infinity"),
    (np.ones(4), "X must be 2-D"),
    (np.ones((2, 2, 2)), "X must be 2-D"),
    (np.ones((0, 3)), "0 samples"),
    (np.ones((3, 0)), r"0 feature\(s\)"),
    (None, "X is None"),
])
def test_bad_features(X, match):
    y = np.zeros(2 if X is not None and X.ndim > 0 and X.shape[0] == 2 else 4)
    with pytest.raises(ValueError, match=match):
        LinearTrainer().fit(X, y)


def test_bad_targets_and_weights():
    X, y = make_regression(10)
    with pytest.raises(ValueError, match="y has 9 samples but X has 10"):
        LinearTrainer().fit(X, y[:9])
    with pytest.raises(ValueError, match="y contains NaN"):
        LinearTrainer().fit(X, np.where(np.arange(10) == 3, np.nan, y))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(10,\)"):
        LinearTrainer().fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        LinearTrainer().fit(X, y, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="sample_weight is zero everywhere"):
        LinearTrainer().fit(X, y, sample_weight=np.zeros(10))
    with pytest.raises(TypeError, match="X must hold numbers"):
        LinearTrainer().fit(np.array([["a", "b"]] * 10), y)


def test_single_class_and_bad_labels():
    X, _ = make_classification(10)
    with pytest.raises(ValueError, match="single class"):
        LinearTrainer("log_loss").fit(X, np.zeros(10))
    with pytest.raises(ValueError, match="class indices"):
        LinearTrainer("log_loss").fit(X, np.linspace(-1, 1, 10))


@pytest.mark.parametrize("param,value,exc", [
    ("loss", "l2", ValueError), ("penalty", "l3", ValueError), ("alpha", -1.0, ValueError),
    ("alpha", "0.1", TypeError), ("l1_ratio", 1.5, ValueError),
    ("learning_rate", "fast", ValueError), ("eta0", 0.0, ValueError),
    ("eta0", float("nan"), ValueError), ("batch_size", 0, ValueError),
    ("batch_size", -5, ValueError), ("batch_size", 3.0, TypeError),
    ("max_iter", 0, ValueError), ("max_updates", -1, ValueError),
    ("n_iter_no_change", 0, ValueError), ("n_jobs", 0, ValueError),
    ("n_jobs", 1.5, TypeError), ("multi_class", "softmax", ValueError),
    ("shuffle", "yes", TypeError), ("callbacks", print, TypeError),
    ("average", -1, ValueError), ("epsilon", -0.1, ValueError),
])
def test_bad_parameters_name_themselves(param, value, exc):
    X, y = make_regression(20)
    with pytest.raises(exc, match=param):
        LinearTrainer(**{param: value}).fit(X, y)


def test_no_budget_and_optimal_without_alpha():
    X, y = make_regression(20)
    with pytest.raises(ValueError, match="max_iter and max_updates are both None"):
        LinearTrainer(max_iter=None).fit(X, y)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        LinearTrainer(learning_rate="optimal", alpha=0.0).fit(X, y)


def test_sparse_input_is_accepted():
    # issue 6: CSR input trains the same model as dense (tests/test_sparse.py has the rest)
    X, y = make_regression(20)
    a = LinearTrainer(random_state=0, tol=None, max_iter=2).fit(sp.csr_matrix(X), y)
    b = LinearTrainer(random_state=0, tol=None, max_iter=2).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)


def test_feature_count_mismatch_on_partial_fit():
    X, y = make_regression(20, d=5)
    tr = LinearTrainer().partial_fit(X, y)
    with pytest.raises(ValueError, match="has 4 features, but the model was fitted with 5"):
        tr.partial_fit(X[:, :4], y)


# ---------------------------------------------------------------- divergence
@pytest.mark.parametrize("dtype,eta0", [(np.float32, 1e30), (np.float64, 1e300)])
def test_divergence_names_epoch_and_keeps_a_usable_model(dtype, eta0):
    X, y = make_regression(200, seed=3, dtype=dtype)
    X = X * 1e3  # unscaled data and a huge constant rate overflow the weights
    tr = LinearTrainer(learning_rate="constant", eta0=eta0, batch_size=8, max_iter=50,
                       tol=None, random_state=0, penalty=None)
    with pytest.raises(DivergenceError, match=r"diverged in epoch \d+, iteration \d+") as err:
        tr.fit(X, y)
    assert "StandardScaler" in str(err.value) and "learning rate" in str(err.value)
    assert isinstance(err.value, ValueError)
    assert np.isfinite(tr.coef_).all() and np.isfinite(tr.intercept_).all()
    assert tr.n_updates_ == tr._counters[2]
    assert np.isfinite(tr.decision_function(X[:3])).all()


# ---------------------------------------------------------------- determinism and threads
def test_same_seed_same_result_and_different_seed_differs():
    X, y = make_classification(300, d=10, n_classes=3)
    fit = lambda seed: LinearTrainer("log_loss", batch_size=16, max_iter=3, tol=None,
                                     random_state=seed).fit(X, y).coef_
    np.testing.assert_array_equal(fit(1), fit(1))
    assert not np.array_equal(fit(1), fit(2))


@pytest.mark.parametrize("loss,n_classes", [("squared_error", None), ("log_loss", 2),
                                            ("log_loss", 5), ("hinge", 5)])
@pytest.mark.parametrize("batch_size", [1, 37, 256, 2000])
def test_thread_count_does_not_change_results(loss, n_classes, batch_size):
    if n_classes is None:
        X, y = make_regression(2000, d=200, seed=4)
    else:
        X, y = make_classification(2000, d=200, n_classes=n_classes, seed=4)
    results = []
    for n_jobs in (1, 2, 3):
        tr = LinearTrainer(loss, batch_size=batch_size, max_iter=2, tol=None, random_state=0,
                           multi_class="ovr", n_jobs=n_jobs, penalty="elasticnet",
                           average=True)
        tr.fit(X, y, n_classes=n_classes)
        results.append((tr.coef_.copy(), tr.intercept_.copy(), tr.avg_coef_.copy(),
                        tr.history_["loss"]))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- resume and partial_fit
def test_pickle_resume_equals_uninterrupted_run():
    X, y = make_classification(200, d=6, n_classes=3)
    full = LinearTrainer("log_loss", batch_size=8, max_iter=1, tol=None, random_state=5)
    half = LinearTrainer("log_loss", batch_size=8, max_iter=1, tol=None, random_state=5)
    for _ in range(6):
        full.partial_fit(X, y)
    for _ in range(3):
        half.partial_fit(X, y)
    half = pickle.loads(pickle.dumps(half))
    for _ in range(3):
        half.partial_fit(X, y)
    np.testing.assert_array_equal(full.coef_, half.coef_)
    assert full.n_updates_ == half.n_updates_ == 6 * 25


def test_repeated_partial_fit_equals_fit_without_shuffle():
    X, y = make_regression(100)
    fit = LinearTrainer(batch_size=7, max_iter=4, tol=None, shuffle=False).fit(X, y)
    part = LinearTrainer(batch_size=7, max_iter=4, tol=None, shuffle=False)
    for _ in range(4):
        part.partial_fit(X, y)
    np.testing.assert_array_equal(fit.coef_, part.coef_)
    assert fit.t_ == part.t_


def test_warm_start_keeps_weights_and_restarts_the_schedule():
    X, y = make_regression(100)
    tr = LinearTrainer(batch_size=10, max_iter=2, tol=None, random_state=0).fit(X, y)
    coef = tr.coef_.copy()
    tr.fit(X, y, warm_start=True)
    assert tr.t_ == 21.0 and tr.n_updates_ == 40
    assert not np.array_equal(coef, tr.coef_)


def test_float32_keeps_float32_parameters():
    X, y = make_regression(50, dtype=np.float32)
    tr = LinearTrainer(max_iter=2, tol=None).fit(X, y)
    assert tr.coef_.dtype == np.float32 and tr.intercept_.dtype == np.float32


def test_memmap_input_is_used_in_place(tmp_path):
    X, y = make_regression(100)
    mm = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float64,
                                   shape=X.shape)
    mm[:] = X
    a = LinearTrainer(max_iter=2, tol=None, random_state=0).fit(mm, y).coef_
    b = LinearTrainer(max_iter=2, tol=None, random_state=0).fit(X, y).coef_
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- stopping, callbacks, output
def test_tol_stops_when_objective_stalls():
    X, y = make_regression(200)
    tr = LinearTrainer(batch_size=10, max_iter=1000, tol=1e-3, n_iter_no_change=3,
                       learning_rate="constant", eta0=0.01, random_state=0).fit(X, y)
    assert tr.stop_reason_ == "converged" and tr.n_epochs_ < 1000
    objective = np.array(tr.history_["objective"])
    for i in range(len(objective) - 3, len(objective)):  # no epoch of the last 3 improved
        assert objective[i] > objective[:i].min() - 1e-3


def test_max_iter_without_convergence_warns():
    from sklearn.exceptions import ConvergenceWarning
    X, y = make_regression(50)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        LinearTrainer(max_iter=1, tol=1e-3).fit(X, y)


def test_callback_can_stop_and_sees_counters():
    X, y = make_regression(100)
    seen = []

    def stop_after_two(info):
        seen.append((info.epoch, info.iterations, info.samples_seen))
        return info.epoch == 2

    tr = LinearTrainer(batch_size=30, max_iter=10, tol=None, callbacks=[stop_after_two])
    tr.fit(X, y)
    assert seen == [(1, 4, 100), (2, 8, 200)]
    assert tr.stop_reason_ == "callback" and tr.n_epochs_ == 2


def test_keyboard_interrupt_stops_cleanly():
    X, y = make_regression(100)

    def interrupt(info):
        if info.epoch == 2:
            raise KeyboardInterrupt

    tr = LinearTrainer(batch_size=10, max_iter=10, tol=None, callbacks=[interrupt])
    with pytest.warns(RuntimeWarning, match="interrupted"):
        tr.fit(X, y)
    assert tr.stop_reason_ == "interrupted" and tr.n_updates_ == 20
    assert np.isfinite(tr.coef_).all()


def test_validation_score_drives_early_stopping_and_restores_best():
    X, y = make_regression(200, seed=8)
    scores = iter([0.1, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, -0.1])
    saved = {}

    def score(coef, intercept):
        value = next(scores)
        if value == 0.5:
            saved["coef"] = coef.copy()
        return value

    tr = LinearTrainer(batch_size=10, max_iter=100, tol=1e-4, n_iter_no_change=3,
                       restore_best_weights=True, random_state=0)
    tr.fit(X, y, validation_score=score)
    assert tr.n_epochs_ == 5 and tr.stop_reason_ == "converged"
    np.testing.assert_array_equal(tr.coef_, saved["coef"])


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = make_regression(100)
    LinearTrainer(batch_size=10, max_iter=3, tol=None, verbose=1).fit(X, y)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Epoch")]
    assert len(lines) == 3
    assert "Epoch 2/3 | iterations 20 (10/10 this epoch)" in lines[1]
    assert "samples/s" in lines[1] and "lr" in lines[1] and "loss" in lines[1]
