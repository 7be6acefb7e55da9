"""Optimizers, schedules and gradient clipping: the compiled update against the NumPy
reference on the same batches, resume equivalence through pickle, thread determinism, and
parameter validation. (PyTorch comparisons: tests/test_optimizers_torch.py.)"""
import pickle

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from fastsgd import LinearTrainer
from fastsgd._reference import linear as ref
from fastsgd.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop, get_optimizer
from fastsgd.schedules import (Constant, Cosine, Exponential, InvScaling, MultiStep,
                               ReduceOnPlateau, Step, get_schedule)

from conftest import make_classification, make_regression

N = 61
EPOCHS = 4
SEED = 11
PENALTIES = {"l2": (1e-2, 0.0), "elasticnet": (5e-3, 5e-3), None: (0.0, 0.0)}

OPTIMIZERS = {
    "momentum": SGD(momentum=0.9),
    "nesterov": SGD(momentum=0.9, nesterov=True),
    "dampening": SGD(momentum=0.5, dampening=0.3),
    "adagrad": Adagrad(lr_decay=0.01, initial_accumulator_value=0.1),
    "rmsprop": RMSprop(),
    "rmsprop_centered_momentum": RMSprop(alpha=0.9, centered=True, momentum=0.5),
    "adam": Adam(),
    "amsgrad": Adam(betas=(0.8, 0.99), amsgrad=True),
    "adamw": AdamW(weight_decay=0.05),
    "plain_clip": SGD(clip_value=0.5, clip_norm=0.3),
    "momentum_clip_value": SGD(momentum=0.9, clip_value=0.2),
    "adam_clip_norm": Adam(clip_norm=0.1),
    "adamw_both_clips": AdamW(clip_value=0.5, clip_norm=0.4, amsgrad=True),
}
ETA0 = {"momentum": 0.02, "nesterov": 0.02, "dampening": 0.05, "adagrad": 0.1, "rmsprop": 0.01,
        "rmsprop_centered_momentum": 0.005, "adam": 0.05, "amsgrad": 0.05, "adamw": 0.05,
        "plain_clip": 0.1, "momentum_clip_value": 0.05, "adam_clip_norm": 0.05,
        "adamw_both_clips": 0.05}

SCHEDULES = {
    "constant": "constant",
    "invscaling": "invscaling",
    "step_epoch": Step(2, gamma=0.5),
    "multistep_epoch": MultiStep([1, 3], gamma=0.3),
    "exponential_epoch": Exponential(0.7),
    "cosine_epoch_warmup": Cosine(3, eta_min=1e-3, warmup=1, warmup_start_factor=0.2),
    "step_update": Step(5, gamma=0.8, per="update"),
    "multistep_update": MultiStep([3, 10, 40], gamma=0.5, per="update", warmup=2),
    "exponential_update": Exponential(0.97, per="update"),
    "cosine_update_warmup": Cosine(30, per="update", warmup=6),
}


def fit_both(X, y, optimizer, *, batch_size, penalty="l2", schedule="constant", eta0=0.05,
             fit_intercept=True, weighted=False, loss="squared_error", mode="single",
             y_kernel=None, epochs=EPOCHS):
    sw = (np.random.default_rng(3).uniform(0.2, 2.0, size=len(y)) if weighted
          else np.ones(len(y)))
    seen = []
    trainer = LinearTrainer(loss, penalty=penalty, alpha=1e-2, l1_ratio=0.5,
                            fit_intercept=fit_intercept, optimizer=optimizer,
                            learning_rate=schedule, eta0=eta0, power_t=0.3,
                            batch_size=batch_size, max_iter=epochs, tol=None, random_state=SEED,
                            n_jobs=1, callbacks=[lambda info: seen.append(
                                (info.trainer.coef_.copy(), info.trainer.intercept_.copy()))])
    trainer.fit(X, y, sample_weight=sw if weighted else None)
    gen = np.random.default_rng(SEED)
    orders = [gen.permutation(len(y)) for _ in range(epochs)]
    l2, l1 = PENALTIES[penalty]
    expected = ref.train(X, y if y_kernel is None else y_kernel, sw, orders, batch_size,
                         loss=loss, mode=mode, l2=l2, l1=l1, fit_intercept=fit_intercept,
                         schedule=get_schedule(schedule, 0.3), eta0=eta0, power_t=0.3,
                         optimizer=get_optimizer(optimizer))
    return trainer, seen, expected


def max_rel_dev(seen, expected):
    worst = 0.0
    for (c, b), (rc, rb) in zip(seen, expected["trajectory"]):
        for a, r in ((c, rc), (b, rb)):
            worst = max(worst, float(np.max(np.abs(a - r) / np.maximum(np.abs(r), 1e-3))))
    return worst


def assert_trajectory(seen, expected, dtype=np.float64):
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (2e-4, 2e-5)
    assert len(seen) == len(expected["trajectory"])
    for (c, b), (rc, rb) in zip(seen, expected["trajectory"]):
        assert c.dtype == dtype
        np.testing.assert_allclose(c, rc, rtol=rtol, atol=atol)
        np.testing.assert_allclose(b, rb, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- kernel vs NumPy reference
@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("batch_size", [1, 7, N])
@pytest.mark.parametrize("penalty", list(PENALTIES))
def test_optimizer_matches_reference(name, batch_size, penalty):
    X, y = make_regression(N, seed=1)
    trainer, seen, expected = fit_both(X, y, OPTIMIZERS[name], batch_size=batch_size,
                                       penalty=penalty, eta0=ETA0[name], weighted=True)
    assert_trajectory(seen, expected)
    assert trainer.optimizer_state_["step"] == EPOCHS * -(-N // batch_size)
    assert np.isfinite(trainer.coef_).all()


@pytest.mark.parametrize("name", ["nesterov", "adagrad", "rmsprop_centered_momentum", "adamw",
                                  "adam_clip_norm"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_optimizer_log_loss_and_no_intercept(name, fit_intercept):
    X, y = make_classification(N, seed=2)
    _, seen, expected = fit_both(X, y, OPTIMIZERS[name], batch_size=7, loss="log_loss",
                                 fit_intercept=fit_intercept, y_kernel=2 * y - 1,
                                 eta0=ETA0[name])
    assert_trajectory(seen, expected)


@pytest.mark.parametrize("name", ["momentum", "adam", "adamw_both_clips", "rmsprop"])
@pytest.mark.parametrize("mode", ["multinomial", "ovr"])
def test_optimizer_multiclass(name, mode):
    X, y = make_classification(N, n_classes=4, seed=3)
    sw = np.ones(N)
    seen = []
    trainer = LinearTrainer("log_loss", penalty="l2", alpha=1e-2, optimizer=OPTIMIZERS[name],
                            learning_rate="constant", eta0=ETA0[name], batch_size=7,
                            max_iter=EPOCHS, tol=None, random_state=SEED, n_jobs=1,
                            multi_class=mode, callbacks=[lambda i: seen.append(
                                (i.trainer.coef_.copy(), i.trainer.intercept_.copy()))])
    trainer.fit(X, y)
    gen = np.random.default_rng(SEED)
    orders = [gen.permutation(N) for _ in range(EPOCHS)]
    expected = ref.train(X, y, sw, orders, 7, loss="log_loss", mode=mode, l2=1e-2,
                         eta0=ETA0[name], optimizer=OPTIMIZERS[name])
    assert_trajectory(seen, expected)


@pytest.mark.parametrize("name", ["nesterov", "adam", "rmsprop"])
@pytest.mark.parametrize("batch_size", [1, 7])
def test_optimizer_float32(name, batch_size):
    X, y = make_regression(N, seed=4, dtype=np.float32)
    _, seen, expected = fit_both(X, y, OPTIMIZERS[name], batch_size=batch_size,
                                 eta0=ETA0[name])
    assert_trajectory(seen, expected, np.float32)


@pytest.mark.parametrize("schedule", list(SCHEDULES))
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "momentum"])
@pytest.mark.parametrize("batch_size", [1, 7, N])
def test_schedule_matches_reference(schedule, optimizer, batch_size):
    X, y = make_regression(N, seed=5)
    opt = OPTIMIZERS.get(optimizer, optimizer)
    epochs = 6
    trainer, seen, expected = fit_both(X, y, opt, batch_size=batch_size,
                                       schedule=SCHEDULES[schedule], eta0=0.02, epochs=epochs)
    assert_trajectory(seen, expected)
    # the rate recorded for each epoch is the one its last update used
    ipe = -(-N // batch_size)
    sched = get_schedule(SCHEDULES[schedule], 0.3)
    want = [sched.rate(0.02, (e + 1) * ipe, e) for e in range(epochs)]
    np.testing.assert_allclose(trainer.history_["learning_rate"], want, rtol=1e-14)


def test_schedule_rates_closed_form():
    eta0 = 0.1
    r = lambda s, k: s.rate(eta0, k + 1, k)  # noqa: E731  (epoch clock k)
    assert [r(Step(2, 0.5), k) for k in range(5)] == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025])
    assert [r(MultiStep([1, 3], 0.1), k) for k in range(4)] == pytest.approx(
        [0.1, 0.01, 0.01, 0.001])
    assert [r(Exponential(0.5), k) for k in range(3)] == pytest.approx([0.1, 0.05, 0.025])
    cos = Cosine(4, eta_min=0.0, warmup=2, warmup_start_factor=0.0)
    assert [r(cos, k) for k in range(8)] == pytest.approx(
        [0.0, 0.05, 0.1, 0.1 * (1 + np.cos(np.pi / 4)) / 2, 0.05,
         0.1 * (1 + np.cos(3 * np.pi / 4)) / 2, 0.0, 0.0])


def test_reduce_on_plateau_reduces_and_records_rate():
    X, y = make_regression(N, seed=6)
    trainer = LinearTrainer(optimizer="adam", learning_rate=ReduceOnPlateau(factor=0.5,
                            patience=1, threshold=100.0, threshold_mode="abs"), eta0=0.05, batch_size=8, max_iter=8,
                            tol=None, random_state=0)
    trainer.fit(X, y)
    rates = trainer.history_["learning_rate"]
    # an improvement of 100 is never met after the first epoch: halve every 2 epochs
    assert rates == pytest.approx([0.05, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.00625])


def test_adaptive_still_divides_by_5():
    X, y = make_regression(N, seed=6)
    trainer = LinearTrainer(learning_rate="adaptive", eta0=0.05, batch_size=8, max_iter=12,
                            tol=10.0, n_iter_no_change=2, random_state=0)
    with pytest.warns(ConvergenceWarning):
        trainer.fit(X, y)
    rates = trainer.history_["learning_rate"]
    # tol=10 is never met: after 1 + n_iter_no_change epochs the rate is divided by 5
    assert rates[:3] == [0.05] * 3 and rates[3] == pytest.approx(0.01)


# ---------------------------------------------------------------- resume, determinism
RESUME = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop_centered_momentum", "adam",
          "amsgrad", "adamw", "adamw_both_clips", "plain_clip"]


@pytest.mark.parametrize("name", RESUME)
@pytest.mark.parametrize("schedule", [Cosine(8, warmup=2), Step(3, per="update"),
                                      ReduceOnPlateau(patience=0, threshold=0.3)])
def test_resume_through_pickle_is_bit_identical(name, schedule):
    X, y = make_regression(N, seed=7)
    opt = OPTIMIZERS.get(name, name)
    params = dict(optimizer=opt, learning_rate=schedule, eta0=ETA0.get(name, 0.01),
                  penalty="elasticnet", batch_size=7, tol=None, random_state=3, n_jobs=1)
    full = LinearTrainer(max_iter=10, **params).fit(X, y)
    half = LinearTrainer(max_iter=5, **params).fit(X, y)
    half = pickle.loads(pickle.dumps(half))
    for _ in range(5):
        half.partial_fit(X, y)
    np.testing.assert_array_equal(half.coef_, full.coef_)
    np.testing.assert_array_equal(half.intercept_, full.intercept_)
    assert half.history_["learning_rate"] == full.history_["learning_rate"]
    if full.optimizer_state_ is not None:
        assert half.optimizer_state_["step"] == full.optimizer_state_["step"] == 90
        np.testing.assert_array_equal(half.optimizer_state_["coef"],
                                      full.optimizer_state_["coef"])
    # and 10 partial_fit calls equal the same 10 epochs
    streamed = LinearTrainer(max_iter=1, **params)
    for _ in range(10):
        streamed.partial_fit(X, y)
    np.testing.assert_array_equal(streamed.coef_, full.coef_)


@pytest.mark.parametrize("name", ["adam_clip_norm", "adamw_both_clips", "plain_clip",
                                  "rmsprop_centered_momentum"])
def test_thread_count_does_not_change_results(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 1500))  # > UPDATE_BLOCK parameters, parallel update
    y = (X[:, :5].sum(axis=1) > 0).astype(float) + 2 * (X[:, 5] > 0)
    fits = [LinearTrainer("log_loss", optimizer=OPTIMIZERS[name], learning_rate="constant",
                          eta0=0.01, batch_size=100, max_iter=2, tol=None, random_state=0,
                          n_jobs=n_jobs).fit(X, y) for n_jobs in (1, 2)]
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    np.testing.assert_array_equal(fits[0].intercept_, fits[1].intercept_)


def test_plain_sgd_unchanged_and_stateless():
    X, y = make_regression(N, seed=8)
    base = dict(batch_size=1, max_iter=3, tol=None, random_state=0)
    a = LinearTrainer(**base).fit(X, y)
    b = LinearTrainer(optimizer=SGD(), **base).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.optimizer_state_["coef"].shape[0] == 0


def test_optimizer_state_survives_warm_start_and_resets_on_change():
    X, y = make_regression(N, seed=9)
    tr = LinearTrainer(optimizer="adam", learning_rate="constant", max_iter=2, tol=None,
                       batch_size=10, random_state=0).fit(X, y)
    assert tr.optimizer_state_["step"] == 14
    tr.fit(X, y, warm_start=True)
    assert tr.optimizer_state_["step"] == 28
    tr.optimizer = "rmsprop"
    tr.fit(X, y, warm_start=True)
    assert tr.optimizer_state_["optimizer"] == "RMSprop"
    assert tr.optimizer_state_["step"] == 14
    tr.fit(X, y)  # fresh weights: fresh state and counters
    assert tr.optimizer_state_["step"] == 14
    assert tr.n_updates_ == 14 and tr.history_["iterations"] == [7, 14]


def test_divergence_restores_optimizer_state():
    X, y = make_regression(N, seed=10)
    X = X * 1e150
    tr = LinearTrainer(optimizer="adam", learning_rate="constant", eta0=1e300,
                       max_iter=3, tol=None, batch_size=N, random_state=0)
    with pytest.raises(Exception):
        tr.fit(X, y)
    assert np.isfinite(tr._opt_coef).all()


# ---------------------------------------------------------------- validation
BAD = [
    (lambda: get_optimizer("adamax"), ValueError, "optimizer must be one of"),
    (lambda: get_optimizer(3), TypeError, "optimizer must be"),
    (lambda: SGD(momentum=-0.1).validate(), ValueError, "momentum"),
    (lambda: SGD(momentum="0.9").validate(), TypeError, "momentum"),
    (lambda: SGD(dampening=1.5).validate(), ValueError, "dampening"),
    (lambda: SGD(nesterov=True).validate(), ValueError, "nesterov"),
    (lambda: SGD(momentum=0.9, nesterov=1).validate(), TypeError, "nesterov"),
    (lambda: SGD(clip_value=0).validate(), ValueError, "clip_value"),
    (lambda: Adam(clip_norm=-1.0).validate(), ValueError, "clip_norm"),
    (lambda: Adam(clip_norm=float("nan")).validate(), ValueError, "clip_norm"),
    (lambda: Adagrad(lr_decay=-1).validate(), ValueError, "lr_decay"),
    (lambda: Adagrad(initial_accumulator_value=-1).validate(), ValueError,
     "initial_accumulator_value"),
    (lambda: Adagrad(eps=-1e-10).validate(), ValueError, "eps"),
    (lambda: RMSprop(alpha=1.5).validate(), ValueError, "alpha"),
    (lambda: RMSprop(momentum=-1).validate(), ValueError, "momentum"),
    (lambda: RMSprop(centered="yes").validate(), TypeError, "centered"),
    (lambda: Adam(betas=(0.9, 1.0)).validate(), ValueError, r"betas\[1\]"),
    (lambda: Adam(betas=(-0.1, 0.9)).validate(), ValueError, r"betas\[0\]"),
    (lambda: Adam(betas=0.9).validate(), TypeError, "betas"),
    (lambda: Adam(eps=-1.0).validate(), ValueError, "eps"),
    (lambda: Adam(amsgrad=None).validate(), TypeError, "amsgrad"),
    (lambda: AdamW(weight_decay=-0.01).validate(), ValueError, "weight_decay"),
    (lambda: get_schedule("cosine"), ValueError, "learning_rate must be one of"),
    (lambda: get_schedule(1.0), TypeError, "learning_rate must be"),
    (lambda: Step(0).validate(), ValueError, "step_size"),
    (lambda: Step(2.5).validate(), TypeError, "step_size"),
    (lambda: Step(2, gamma=0).validate(), ValueError, "gamma"),
    (lambda: Step(2, per="batch").validate(), ValueError, "per"),
    (lambda: MultiStep([3, 2]).validate(), ValueError, "milestones"),
    (lambda: MultiStep(3).validate(), TypeError, "milestones"),
    (lambda: MultiStep(list(range(65))).validate(), ValueError, "milestones"),
    (lambda: Exponential(-0.5).validate(), ValueError, "gamma"),
    (lambda: Cosine(0).validate(), ValueError, "T_max"),
    (lambda: Cosine(10, eta_min=-1).validate(), ValueError, "eta_min"),
    (lambda: Cosine(10, warmup=-1).validate(), ValueError, "warmup"),
    (lambda: Cosine(10, warmup=2, warmup_start_factor=2).validate(), ValueError,
     "warmup_start_factor"),
    (lambda: InvScaling("x").validate(), TypeError, "power_t"),
    (lambda: ReduceOnPlateau(factor=1.0).validate(), ValueError, "factor"),
    (lambda: ReduceOnPlateau(patience=-1).validate(), ValueError, "patience"),
    (lambda: ReduceOnPlateau(threshold_mode="x").validate(), ValueError, "threshold_mode"),
    (lambda: ReduceOnPlateau(cooldown=1.5).validate(), TypeError, "cooldown"),
    (lambda: ReduceOnPlateau(min_lr=-1).validate(), ValueError, "min_lr"),
]


@pytest.mark.parametrize("make,exc,match", BAD)
def test_bad_hyperparameters_raise(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"optimizer": "nadam"}, ValueError, "optimizer"),
    ({"optimizer": Adam(betas=(1.0, 0.9))}, ValueError, "betas"),
    ({"learning_rate": "cosine"}, ValueError, "learning_rate"),
    ({"learning_rate": Cosine(T_max=-3)}, ValueError, "T_max"),
])
def test_trainer_refuses_bad_optimizer_or_schedule(kwargs, exc, match):
    X, y = make_regression(N)
    with pytest.raises(exc, match=match):
        LinearTrainer(**kwargs).fit(X, y)


def test_names_and_objects():
    assert get_optimizer("adam") == Adam()
    assert get_optimizer("SGD") == SGD()
    assert get_schedule("invscaling", 0.5) == InvScaling(0.5)
    assert isinstance(get_schedule("constant"), Constant)
    assert "momentum=0.9" in repr(SGD(momentum=0.9))
