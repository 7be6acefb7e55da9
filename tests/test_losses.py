"""Every loss derivative, as compiled, against central finite differences (float64) and
against the NumPy reference; and the model gradient through one batch-GD step."""
import numpy as np
import pytest

from fastsgd import LinearTrainer, _linear
from fastsgd._reference import linear as ref
from fastsgd.losses import ALL_LOSSES, CLASSIFICATION_LOSSES, REGRESSION_LOSSES

from conftest import make_classification

H = 1e-6


def scores_away_from_kinks(loss, rng, n=400):
    """Scores and targets where the loss is differentiable (hinges, epsilon tubes avoided)."""
    y = rng.choice([-1.0, 1.0], size=n) if loss in CLASSIFICATION_LOSSES else rng.normal(size=n)
    z = rng.normal(scale=2.0, size=n)
    kinks = {"hinge": [1.0], "perceptron": [0.0], "squared_hinge": [1.0],
             "modified_huber": [1.0, -1.0]}.get(loss)
    if kinks is not None:
        m = y * z
        keep = np.all([np.abs(m - k) > 1e-3 for k in kinks], axis=0)
    elif loss in ("huber", "epsilon_insensitive", "squared_epsilon_insensitive"):
        keep = np.abs(np.abs(z - y) - 0.1) > 1e-3
    else:
        keep = np.ones(n, bool)
    return z[keep], y[keep]


@pytest.mark.parametrize("loss", list(ALL_LOSSES))
def test_column_loss_derivative_matches_finite_differences(loss, rng):
    z, y = scores_away_from_kinks(loss, rng)
    code = ALL_LOSSES[loss]
    value, dz = _linear.sample_loss_values(code, 0, z[:, None].copy(), y)
    up, _ = _linear.sample_loss_values(code, 0, (z + H)[:, None].copy(), y)
    down, _ = _linear.sample_loss_values(code, 0, (z - H)[:, None].copy(), y)
    np.testing.assert_allclose(dz[:, 0], (up - down) / (2 * H), rtol=1e-5, atol=1e-6)
    ref_value, ref_dz = ref.column_loss(loss, z, y)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dz[:, 0], ref_dz, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", [1, 2])
def test_multiclass_derivatives_match_finite_differences(mode, rng):
    K, n = 5, 50
    Z = rng.normal(scale=3.0, size=(n, K))
    y = rng.integers(0, K, size=n).astype(float)
    code = ALL_LOSSES["log_loss"]
    value, dZ = _linear.sample_loss_values(code, mode, Z, y)
    for k in range(K):
        step = np.zeros(K)
        step[k] = H
        up, _ = _linear.sample_loss_values(code, mode, Z + step, y)
        down, _ = _linear.sample_loss_values(code, mode, Z - step, y)
        np.testing.assert_allclose(dZ[:, k], (up - down) / (2 * H), rtol=1e-5, atol=1e-7)
    ref_value, ref_dZ = ref.sample_losses("log_loss", Z, y, "ovr" if mode == 1 else "multinomial")
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    np.testing.assert_allclose(dZ, ref_dZ, rtol=1e-12, atol=1e-14)


def test_losses_are_stable_for_extreme_scores():
    z = np.array([[-800.0], [-40.0], [40.0], [800.0]])
    y = np.array([1.0, 1.0, -1.0, -1.0])
    value, dz = _linear.sample_loss_values(ALL_LOSSES["log_loss"], 0, z, y)
    assert np.isfinite(value).all() and np.isfinite(dz).all()
    np.testing.assert_allclose(value, [800.0, 40.0, 40.0, 800.0], rtol=1e-12)
    Z = np.array([[1000.0, -1000.0, 0.0]])
    value, dZ = _linear.sample_loss_values(ALL_LOSSES["log_loss"], 2, Z, np.array([1.0]))
    np.testing.assert_allclose(value, [2000.0])
    np.testing.assert_allclose(dZ, [[1.0, -1.0, 0.0]], atol=1e-300)


def test_derivative_is_clipped_like_scikit_learn():
    z = np.array([[1e14]])
    _, dz = _linear.sample_loss_values(ALL_LOSSES["squared_error"], 0, z, np.array([0.0]))
    assert dz[0, 0] == 1e12


@pytest.mark.parametrize("loss,mode,n_classes", [("squared_error", "single", None),
                                                 ("huber", "single", None),
                                                 ("log_loss", "single", 2),
                                                 ("log_loss", "multinomial", 3),
                                                 ("squared_hinge", "ovr", 3)])
def test_model_gradient_matches_finite_differences(loss, mode, n_classes, rng):
    """One batch-GD step from w0 with a constant rate recovers the full gradient
    G = (w0 - w1) / eta of the weighted mean loss; compare with finite differences."""
    if n_classes is None:
        X = rng.normal(size=(40, 4))
        y = X @ rng.normal(size=4) + rng.normal(size=40)
    else:
        X, y = make_classification(40, d=4, n_classes=n_classes, seed=1)
    sw = rng.uniform(0.5, 2.0, size=len(y))
    K = 1 if n_classes in (None, 2) else n_classes
    w0 = rng.normal(scale=0.3, size=(K, 4))
    b0 = rng.normal(scale=0.3, size=K)
    eta = 1e-3
    trainer = LinearTrainer(loss, penalty=None, learning_rate="constant", eta0=eta,
                            batch_size=len(y), max_iter=1, tol=None, shuffle=False,
                            multi_class="ovr" if mode == "ovr" else "multinomial")
    trainer.fit(X, y, sample_weight=sw, n_classes=n_classes, coef_init=w0, intercept_init=b0)
    grad = (w0 - trainer.coef_) / eta
    y_k = 2 * y - 1 if n_classes == 2 else y

    def mean_loss(W, b):
        value, _ = ref.sample_losses(loss, X @ W.T + b, y_k, mode)
        return np.sum(sw * value) / len(y)

    for k in range(K):
        for j in range(4):
            E = np.zeros_like(w0)
            E[k, j] = 1e-6
            fd = (mean_loss(w0 + E, b0) - mean_loss(w0 - E, b0)) / 2e-6
            assert abs(grad[k, j] - fd) < 1e-6 * max(1.0, abs(fd))
