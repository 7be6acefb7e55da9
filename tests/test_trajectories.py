"""The compiled kernel against the NumPy reference: whole training trajectories on the same
permutations, over dtype x batch size x loss x penalty x intercept x sample weights."""
import numpy as np
import pytest

from fastsgd import LinearTrainer
from fastsgd._reference import linear as ref
from fastsgd.losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES
from fastsgd.schedules import optimal_init

from conftest import make_classification, make_regression

N = 61
BATCH_SIZES = [1, 7, 32, N]          # SGD, a non-divisor of N, a power of two, batch GD
PENALTIES = {"l2": (1e-2, 0.0), "l1": (0.0, 1e-2), "elasticnet": (5e-3, 5e-3), None: (0, 0)}
EPOCHS = 4
SEED = 7


def run_both(X, y, loss, batch_size, penalty, fit_intercept, weighted, mode="single",
             n_classes=None, schedule="invscaling", average=False, eta0=0.05, drop_last=False,
             y_kernel=None):
    sw = (np.random.default_rng(3).uniform(0.2, 2.0, size=len(y)) if weighted
          else np.ones(len(y)))
    seen = []
    alpha = 1e-2
    trainer = LinearTrainer(loss, penalty=penalty, alpha=alpha, l1_ratio=0.5,
                            fit_intercept=fit_intercept, learning_rate=schedule, eta0=eta0,
                            power_t=0.3, batch_size=batch_size, max_iter=EPOCHS, tol=None,
                            shuffle=True, random_state=SEED, average=average,
                            drop_last=drop_last, n_jobs=1,
                            multi_class="ovr" if mode == "ovr" else "multinomial",
                            callbacks=[lambda info: seen.append(
                                (info.trainer.coef_.copy(), info.trainer.intercept_.copy()))])
    trainer.fit(X, y, sample_weight=sw if weighted else None, n_classes=n_classes)
    gen = np.random.default_rng(SEED)
    orders = [gen.permutation(len(y)) for _ in range(EPOCHS)]
    l2, l1 = PENALTIES[penalty]
    t0 = optimal_init(loss, alpha) if schedule == "optimal" else 0.0
    bpe = len(y) // batch_size if drop_last else None
    expected = ref.train(X, y if y_kernel is None else y_kernel, sw, orders, batch_size,
                         loss=loss, mode=mode, l2=l2, l1=l1, fit_intercept=fit_intercept,
                         schedule=schedule, eta0=eta0, power_t=0.3, alpha=alpha,
                         optimal_init=t0, average=int(average), batches_per_epoch=bpe)
    return trainer, seen, expected


def assert_trajectory(seen, expected, dtype):
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (1e-4, 1e-5)
    assert len(seen) == len(expected["trajectory"])
    for (c, b), (rc, rb) in zip(seen, expected["trajectory"]):
        assert c.dtype == dtype
        np.testing.assert_allclose(c, rc, rtol=rtol, atol=atol)
        np.testing.assert_allclose(b, rb, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("loss", list(REGRESSION_LOSSES))
@pytest.mark.parametrize("penalty", list(PENALTIES))
def test_regression_trajectory(dtype, batch_size, loss, penalty):
    X, y = make_regression(N, seed=1, dtype=dtype)
    for fit_intercept, weighted in [(True, False), (False, True)]:
        trainer, seen, expected = run_both(X, y, loss, batch_size, penalty, fit_intercept,
                                           weighted)
        assert_trajectory(seen, expected, dtype)
        assert trainer.n_updates_ == EPOCHS * -(-N // batch_size)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("loss", list(CLASSIFICATION_LOSSES))
@pytest.mark.parametrize("penalty", list(PENALTIES))
def test_binary_trajectory(dtype, batch_size, loss, penalty):
    X, y = make_classification(N, seed=2, dtype=dtype)
    for fit_intercept, weighted in [(True, True), (False, False)]:
        _, seen, expected = run_both(X, y, loss, batch_size, penalty, fit_intercept, weighted,
                                     y_kernel=2 * y - 1)
        assert_trajectory(seen, expected, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("mode,loss", [("multinomial", "log_loss"), ("ovr", "log_loss"),
                                       ("ovr", "hinge"), ("ovr", "modified_huber")])
@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_multiclass_trajectory(dtype, batch_size, mode, loss, penalty):
    X, y = make_classification(N, n_classes=4, seed=3, dtype=dtype)
    _, seen, expected = run_both(X, y, loss, batch_size, penalty, True, True, mode=mode)
    assert_trajectory(seen, expected, dtype)


@pytest.mark.parametrize("schedule", ["constant", "optimal", "invscaling"])
@pytest.mark.parametrize("average", [False, True, 10])
@pytest.mark.parametrize("batch_size", [1, 7])
def test_schedules_and_averaging(schedule, average, batch_size):
    X, y = make_classification(N, seed=4)
    trainer, seen, expected = run_both(X, y, "log_loss", batch_size, "l2", True, False,
                                       schedule=schedule, average=average, eta0=0.1,
                                       y_kernel=2 * y - 1)
    assert_trajectory(seen, expected, np.float64)
    if average:
        np.testing.assert_allclose(trainer.avg_coef_, expected["avg_coef"], rtol=1e-10)
        np.testing.assert_allclose(trainer.avg_intercept_, expected["avg_intercept"],
                                   rtol=1e-10)
    assert trainer.t_ == expected["t"]


@pytest.mark.parametrize("batch_size", [7, 16])
def test_drop_last_trajectory(batch_size):
    X, y = make_regression(N, seed=5)
    trainer, seen, expected = run_both(X, y, "squared_error", batch_size, "l2", True, True,
                                       drop_last=True)
    assert_trajectory(seen, expected, np.float64)
    assert trainer.n_updates_ == EPOCHS * (N // batch_size)
    assert trainer.samples_seen_ == EPOCHS * (N // batch_size) * batch_size


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [1, 7, 32, N])
@pytest.mark.parametrize("mode,loss", [("multinomial", "log_loss"), ("ovr", "hinge")])
def test_gemm_path_trajectory(monkeypatch, dtype, batch_size, mode, loss):
    """The BLAS path for many outputs gives the reference trajectory too (forced on here)."""
    import fastsgd.trainer
    monkeypatch.setattr(fastsgd.trainer, "use_gemm", lambda n_outputs, dtype: True)
    X, y = make_classification(N, n_classes=5, seed=6, dtype=dtype)
    _, seen, expected = run_both(X, y, loss, batch_size, "elasticnet", True, True, mode=mode)
    assert_trajectory(seen, expected, dtype)
