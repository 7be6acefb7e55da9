"""fastsgd's compiled optimizers and schedules against torch.optim and
torch.optim.lr_scheduler: identical data, initial weights and batch order, float64.

Correspondence: the batch loss is the mean over the batch (squared_error = 0.5 (z - y)^2, or
log_loss = binary cross-entropy with logits); torch's weight_decay on the weights is
fastsgd's penalty='l2' with alpha = weight_decay; the bias sits in a parameter group with
weight_decay=0 (fastsgd never penalizes the intercept); torch's lr is fastsgd's eta0; a
scheduler stepped once per epoch is a fastsgd schedule with per='epoch', stepped after
every batch per='update'. PyTorch is an optional test dependency: these tests skip without it.
"""
import numpy as np
import pytest

from fastsgd import LinearTrainer
from fastsgd.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from fastsgd.schedules import Cosine, Exponential, MultiStep, Step

from conftest import make_classification, make_regression

torch = pytest.importorskip("torch")

N, D, EPOCHS, SEED = 61, 7, 6, 5
RTOL, ATOL = 1e-8, 1e-10


def torch_trajectory(X, y, loss, orders, batch_size, coef0, b0, make_opt, make_sched=None,
                     per_update=False, weight_decay=0.0, clip_value=None, clip_norm=None):
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    w = torch.tensor(coef0.ravel(), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
    opt = make_opt([{"params": [w], "weight_decay": weight_decay},
                    {"params": [b], "weight_decay": 0.0}])
    sched = make_sched(opt) if make_sched else None
    trajectory = []
    for order in orders:
        for start in range(0, len(order), batch_size):
            rows = torch.as_tensor(order[start:start + batch_size])
            z = Xt[rows] @ w + b
            if loss == "squared_error":
                value = 0.5 * ((z - yt[rows]) ** 2).mean()
            else:
                value = torch.nn.functional.binary_cross_entropy_with_logits(z, yt[rows])
            opt.zero_grad()
            value.backward()
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_([w, b], clip_value)
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_([w, b], clip_norm)
            opt.step()
            if sched is not None and per_update:
                sched.step()
        if sched is not None and not per_update:
            sched.step()
        trajectory.append((w.detach().numpy().copy(), b.detach().numpy().copy()))
    return trajectory


def compare(optimizer, make_opt, *, schedule="constant", make_sched=None, per_update=False,
            penalty="l2", alpha=0.0, batch_size=7, loss="squared_error", eta0=0.05,
            clip_value=None, clip_norm=None):
    if loss == "squared_error":
        X, y = make_regression(N, D, seed=1)
    else:
        X, y = make_classification(N, D, seed=2)
    rng = np.random.default_rng(9)
    coef0, b0 = 0.3 * rng.normal(size=(1, D)), 0.1 * rng.normal(size=1)
    seen = []
    trainer = LinearTrainer(loss, penalty=penalty, alpha=alpha, optimizer=optimizer,
                            learning_rate=schedule, eta0=eta0, batch_size=batch_size,
                            max_iter=EPOCHS, tol=None, random_state=SEED, n_jobs=1,
                            callbacks=[lambda i: seen.append(
                                (i.trainer.coef_.ravel().copy(), i.trainer.intercept_.copy()))])
    trainer.fit(X, y, coef_init=coef0, intercept_init=b0)
    gen = np.random.default_rng(SEED)
    orders = [gen.permutation(N) for _ in range(EPOCHS)]
    expected = torch_trajectory(X, y, loss, orders, batch_size, coef0, b0, make_opt,
                                make_sched, per_update,
                                weight_decay=alpha if penalty == "l2" else 0.0,
                                clip_value=clip_value, clip_norm=clip_norm)
    worst = 0.0
    for (c, b), (tc, tb) in zip(seen, expected):
        np.testing.assert_allclose(c, tc, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(b, tb, rtol=RTOL, atol=ATOL)
        worst = max(worst, float(np.max(np.abs(c - tc) / np.abs(tc))),
                    float(np.max(np.abs(b - tb) / np.abs(tb))))
    assert len(seen) == EPOCHS
    return trainer, worst


opt = torch.optim
lrs = torch.optim.lr_scheduler


@pytest.mark.parametrize("batch_size", [1, 7, N])
@pytest.mark.parametrize("case", [
    # (fastsgd optimizer, torch optimizer factory, alpha (= torch weight_decay), eta0)
    (SGD(), lambda g: opt.SGD(g, lr=0.05), 1e-2, 0.05),
    (SGD(momentum=0.9), lambda g: opt.SGD(g, lr=0.02, momentum=0.9), 1e-2, 0.02),
    (SGD(momentum=0.9, nesterov=True),
     lambda g: opt.SGD(g, lr=0.02, momentum=0.9, nesterov=True), 1e-2, 0.02),
    (SGD(momentum=0.6, dampening=0.2),
     lambda g: opt.SGD(g, lr=0.05, momentum=0.6, dampening=0.2), 0.0, 0.05),
    (Adagrad(), lambda g: opt.Adagrad(g, lr=0.1), 1e-2, 0.1),
    (Adagrad(lr_decay=0.01, initial_accumulator_value=0.1),
     lambda g: opt.Adagrad(g, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
     0.0, 0.1),
    (RMSprop(), lambda g: opt.RMSprop(g, lr=0.01), 1e-2, 0.01),
    (RMSprop(alpha=0.9, centered=True, momentum=0.5),
     lambda g: opt.RMSprop(g, lr=0.005, alpha=0.9, centered=True, momentum=0.5), 1e-2, 0.005),
    (Adam(), lambda g: opt.Adam(g, lr=0.05), 1e-2, 0.05),
    (Adam(betas=(0.8, 0.99), amsgrad=True),
     lambda g: opt.Adam(g, lr=0.05, betas=(0.8, 0.99), amsgrad=True), 0.0, 0.05),
], ids=["sgd", "momentum", "nesterov", "dampening", "adagrad", "adagrad_decay", "rmsprop",
        "rmsprop_centered_momentum", "adam", "amsgrad"])
def test_optimizers_match_torch(case, batch_size):
    ours, theirs, alpha, eta0 = case
    compare(ours, theirs, alpha=alpha, eta0=eta0, batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [1, 7, N])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamw_matches_torch(batch_size, amsgrad):
    # decoupled decay on the weights only: torch's bias group has weight_decay=0
    def make(g):
        g[0]["weight_decay"] = 0.05
        return opt.AdamW(g, lr=0.05, amsgrad=amsgrad)
    compare(AdamW(weight_decay=0.05, amsgrad=amsgrad), make, penalty=None,
            batch_size=batch_size)


@pytest.mark.parametrize("ours,theirs", [
    (Adam(), lambda g: opt.Adam(g, lr=0.05)),
    (SGD(momentum=0.9, nesterov=True), lambda g: opt.SGD(g, lr=0.05, momentum=0.9,
                                                         nesterov=True)),
    (RMSprop(centered=True), lambda g: opt.RMSprop(g, lr=0.01, centered=True)),
])
def test_log_loss_matches_torch(ours, theirs):
    compare(ours, theirs, loss="log_loss", alpha=1e-3, eta0=0.05 if "RMS" not in repr(ours)
            else 0.01)


@pytest.mark.parametrize("schedule,make_sched,per_update", [
    (Step(2, gamma=0.5), lambda o: lrs.StepLR(o, step_size=2, gamma=0.5), False),
    (MultiStep([1, 4], gamma=0.3), lambda o: lrs.MultiStepLR(o, [1, 4], gamma=0.3), False),
    (Exponential(0.8), lambda o: lrs.ExponentialLR(o, gamma=0.8), False),
    (Cosine(EPOCHS), lambda o: lrs.CosineAnnealingLR(o, T_max=EPOCHS), False),
    (Cosine(8, eta_min=1e-3), lambda o: lrs.CosineAnnealingLR(o, T_max=8, eta_min=1e-3),
     False),
    (Cosine(EPOCHS - 2, warmup=2, warmup_start_factor=0.25),
     lambda o: lrs.SequentialLR(o, [lrs.LinearLR(o, start_factor=0.25, total_iters=2),
                                    lrs.CosineAnnealingLR(o, T_max=EPOCHS - 2)],
                                milestones=[2]), False),
    (Step(10, gamma=0.7, per="update"), lambda o: lrs.StepLR(o, step_size=10, gamma=0.7),
     True),
    (Exponential(0.98, per="update"), lambda o: lrs.ExponentialLR(o, gamma=0.98), True),
    # T_max beyond the 54 updates: past T_max torch oscillates, fastsgd stays at eta_min
    (Cosine(60, per="update"), lambda o: lrs.CosineAnnealingLR(o, T_max=60), True),
], ids=["step", "multistep", "exponential", "cosine", "cosine_eta_min", "cosine_warmup",
        "step_per_update", "exponential_per_update", "cosine_per_update"])
@pytest.mark.parametrize("name", ["adam", "momentum"])
def test_schedules_match_torch(schedule, make_sched, per_update, name):
    if name == "adam":
        ours, theirs = Adam(), lambda g: opt.Adam(g, lr=0.05)
    else:
        ours, theirs = SGD(momentum=0.9), lambda g: opt.SGD(g, lr=0.05, momentum=0.9)
    trainer, _ = compare(ours, theirs, schedule=schedule, make_sched=make_sched,
                         per_update=per_update, alpha=1e-2)
    assert len(trainer.history_["learning_rate"]) == EPOCHS


@pytest.mark.parametrize("clip_value,clip_norm", [(0.3, None), (None, 0.5), (0.3, 0.2)])
@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_clipping_matches_torch(clip_value, clip_norm, name):
    kw = dict(clip_value=clip_value, clip_norm=clip_norm)
    ours, theirs = {
        "sgd": (SGD(**kw), lambda g: opt.SGD(g, lr=0.05)),
        "momentum": (SGD(momentum=0.9, **kw), lambda g: opt.SGD(g, lr=0.05, momentum=0.9)),
        "adam": (Adam(**kw), lambda g: opt.Adam(g, lr=0.05)),
    }[name]
    compare(ours, theirs, alpha=1e-2, clip_value=clip_value, clip_norm=clip_norm)
