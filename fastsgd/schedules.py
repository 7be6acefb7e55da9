"""Learning-rate schedules.

Every schedule shapes the trainer's base rate ``eta0``. Names are accepted where
scikit-learn has them (``'constant'``, ``'optimal'``, ``'invscaling'``, ``'adaptive'``); the
others are objects.

scikit-learn's four, with t the 1-based update counter (``t_``):

- ``'constant'`` / ``Constant()``: eta = eta0
- ``'optimal'`` / ``Optimal()``: eta = 1 / (alpha (t0 + t - 1)), t0 chosen so the first step
  is about 1 / sqrt(alpha) (Bottou's heuristic, as in scikit-learn)
- ``'invscaling'`` / ``InvScaling(power_t)``: eta = eta0 / t ** power_t (the string uses the
  trainer's ``power_t``)
- ``'adaptive'`` / ``Adaptive()``: eta0 while the training objective (or validation score)
  improves; divided by 5 each time `n_iter_no_change` epochs in a row fail to improve by `tol`.

Decays, with a clock k that counts **epochs** (``per='epoch'``, the default: the rate is
constant within an epoch and changes between epochs, exactly like a
``torch.optim.lr_scheduler`` whose ``step()`` is called once per epoch) or **updates**
(``per='update'``: k = t - 1, like calling ``scheduler.step()`` after every batch):

- ``Step(step_size, gamma=0.1)``: eta0 * gamma ** floor(k / step_size)  (torch StepLR)
- ``MultiStep(milestones, gamma=0.1)``: eta0 * gamma ** #{milestones <= k}  (MultiStepLR)
- ``Exponential(gamma)``: eta0 * gamma ** k  (ExponentialLR)
- ``Cosine(T_max, eta_min=0)``: eta_min + (eta0 - eta_min) (1 + cos(pi k / T_max)) / 2 for
  k < T_max, then eta_min (CosineAnnealingLR's closed form; PyTorch's keeps oscillating
  past T_max, fastsgd stays at the floor)

Each of the four takes an optional linear warmup of ``warmup`` clock units: for k < warmup the
rate is eta0 * (s + (1 - s) k / warmup) with s = ``warmup_start_factor`` (torch's LinearLR),
after which the decay starts with its own clock at k - warmup (torch's SequentialLR of
LinearLR(s, total_iters=warmup) and the decay, milestones=[warmup]). With 20 epochs and
``Cosine(T_max=18, warmup=2)`` the rate warms up for 2 epochs and decays over the other 18.

Epoch-level, in Python:

- ``ReduceOnPlateau(factor=0.1, patience=10, ...)``: torch's ReduceLROnPlateau on the training
  objective (minimized) or, when the trainer has a validation score, on it (maximized).

The epoch clock counts epochs since the schedule clock was last reset (by every ``fit``, like
the update clock ``t_``); each ``partial_fit`` call is one epoch.
Per-update schedules are evaluated in closed form inside the compiled kernel
(``learning_rate_at`` in ``src_c/_common.pxd``); ``Schedule.rate`` is its Python twin.
"""
import math
import numbers

import numpy as np

from ._params import ConfigObject

__all__ = ["Schedule", "Constant", "Optimal", "InvScaling", "Adaptive", "Step", "MultiStep",
           "Exponential", "Cosine", "ReduceOnPlateau", "SCHEDULES", "get_schedule",
           "optimal_init"]

# kernel Schedule codes (src_c/_common.pxd)
CONSTANT, OPTIMAL, INVSCALING, STEP, MULTISTEP, EXPONENTIAL, COSINE = range(7)
MAX_MILESTONES = 64
# name -> kernel Schedule code; 'adaptive' is constant between decisions
KERNEL_SCHEDULES = {"constant": CONSTANT, "optimal": OPTIMAL, "invscaling": INVSCALING,
                    "adaptive": CONSTANT}
SCHEDULES = tuple(KERNEL_SCHEDULES)


def _real(value, name, owner, low=None, include_low=True, high=None, include_high=True):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r} "
                        f"({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}.")
    if (low is not None and (value < low or (value == low and not include_low))) or (
            high is not None and (value > high or (value == high and not include_high))):
        lo = f"{'[' if include_low else '('}{low}" if low is not None else "(-inf"
        hi = f"{high}{']' if include_high else ')'}" if high is not None else "inf)"
        raise ValueError(f"{owner}: {name} must be in {lo}, {hi}, got {value!r}.")
    return value


def _int(value, name, owner, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r} "
                        f"({type(value).__name__}).")
    if value < low:
        raise ValueError(f"{owner}: {name} must be >= {low}, got {value!r}.")
    return int(value)


class Schedule(ConfigObject):
    """Base class. `code` is the kernel's Schedule; `rate` is the Python twin of the kernel's
    closed form."""

    code = CONSTANT
    name = None
    _params = ()


    def validate(self):
        return self

    def kernel_settings(self):
        """Schedule fields of the kernel's Settings (except eta0, alpha, optimal_init)."""
        return {"schedule": self.code, "sched_per_epoch": 0, "gamma": 1.0, "sched_step": 1.0,
                "t_max": 1.0, "eta_min": 0.0, "warmup": 0.0, "warmup_start": 1.0,
                "n_milestones": 0, "milestones": [0.0] * MAX_MILESTONES}

    def rate(self, eta0, t, epoch, *, alpha=None, optimal_init=None):
        """The rate at update clock t (1-based) in epoch `epoch` (0-based clock)."""
        return float(eta0)


class Constant(Schedule):
    """eta = eta0."""
    name = "constant"


class Adaptive(Constant):
    """scikit-learn's 'adaptive': eta0, divided by 5 each time `n_iter_no_change` epochs in a
    row fail to improve by `tol` (decided in Python at epoch ends)."""
    name = "adaptive"


class Optimal(Schedule):
    """scikit-learn's 'optimal': 1 / (alpha (t0 + t - 1)); eta0 is not used."""
    name = "optimal"
    code = OPTIMAL

    def rate(self, eta0, t, epoch, *, alpha=None, optimal_init=None):
        return 1.0 / (alpha * (optimal_init + t - 1.0))


class InvScaling(Schedule):
    """scikit-learn's 'invscaling': eta0 / t ** power_t."""
    name = "invscaling"
    code = INVSCALING
    _params = ("power_t",)

    def __init__(self, power_t=0.25):
        self.power_t = power_t

    def validate(self):
        _real(self.power_t, "power_t", "InvScaling")
        return self

    def rate(self, eta0, t, epoch, **kw):
        return eta0 / t ** float(self.power_t)


class _Decay(Schedule):
    """Shared clock (epochs or updates) and linear warmup of the closed-form decays."""

    def __init__(self, per="epoch", warmup=0, warmup_start_factor=0.1):
        self.per = per
        self.warmup = warmup
        self.warmup_start_factor = warmup_start_factor

    def validate(self):
        owner = type(self).__name__
        if self.per not in ("epoch", "update"):
            raise ValueError(f"{owner}: per must be 'epoch' or 'update', got {self.per!r}.")
        _int(self.warmup, "warmup", owner, 0)
        _real(self.warmup_start_factor, "warmup_start_factor", owner, low=0, high=1)
        self._validate(owner)
        return self

    def _validate(self, owner):
        pass

    def kernel_settings(self):
        s = super().kernel_settings()
        s.update(sched_per_epoch=int(self.per == "epoch"), warmup=float(self.warmup),
                 warmup_start=float(self.warmup_start_factor))
        s.update(self._kernel())
        return s

    def rate(self, eta0, t, epoch, **kw):
        k = float(epoch) if self.per == "epoch" else t - 1.0
        if k < self.warmup:
            s = float(self.warmup_start_factor)
            return eta0 * (s + (1.0 - s) * k / self.warmup)
        return self._decay(eta0, k - self.warmup)


class Step(_Decay):
    """eta0 * gamma ** floor(k / step_size) (torch.optim.lr_scheduler.StepLR)."""
    name = "step"
    code = STEP
    _params = ("step_size", "gamma", "per", "warmup", "warmup_start_factor")

    def __init__(self, step_size, gamma=0.1, *, per="epoch", warmup=0,
                 warmup_start_factor=0.1):
        super().__init__(per, warmup, warmup_start_factor)
        self.step_size = step_size
        self.gamma = gamma

    def _validate(self, owner):
        _int(self.step_size, "step_size", owner, 1)
        _real(self.gamma, "gamma", owner, low=0, include_low=False)

    def _kernel(self):
        return {"gamma": float(self.gamma), "sched_step": float(self.step_size)}

    def _decay(self, eta0, k):
        return eta0 * float(self.gamma) ** math.floor(k / self.step_size)


class MultiStep(_Decay):
    """eta0 * gamma ** (number of milestones <= k) (torch MultiStepLR)."""
    name = "multistep"
    code = MULTISTEP
    _params = ("milestones", "gamma", "per", "warmup", "warmup_start_factor")

    def __init__(self, milestones, gamma=0.1, *, per="epoch", warmup=0,
                 warmup_start_factor=0.1):
        super().__init__(per, warmup, warmup_start_factor)
        self.milestones = milestones
        self.gamma = gamma

    def _validate(self, owner):
        ms = self.milestones
        if isinstance(ms, (str, bytes)) or not hasattr(ms, "__len__"):
            raise TypeError(f"{owner}: milestones must be a list of increasing integers, "
                            f"got {ms!r}.")
        ms = [_int(m, "milestones[i]", owner, 0) for m in ms]
        if any(b <= a for a, b in zip(ms, ms[1:])):
            raise ValueError(f"{owner}: milestones must be strictly increasing, got {ms!r}.")
        if len(ms) > MAX_MILESTONES:
            raise ValueError(f"{owner}: at most {MAX_MILESTONES} milestones, got {len(ms)}.")
        _real(self.gamma, "gamma", owner, low=0, include_low=False)

    def _kernel(self):
        ms = [float(m) for m in self.milestones]
        return {"gamma": float(self.gamma), "n_milestones": len(ms),
                "milestones": ms + [0.0] * (MAX_MILESTONES - len(ms))}

    def _decay(self, eta0, k):
        return eta0 * float(self.gamma) ** sum(m <= k for m in self.milestones)


class Exponential(_Decay):
    """eta0 * gamma ** k (torch ExponentialLR)."""
    name = "exponential"
    code = EXPONENTIAL
    _params = ("gamma", "per", "warmup", "warmup_start_factor")

    def __init__(self, gamma, *, per="epoch", warmup=0, warmup_start_factor=0.1):
        super().__init__(per, warmup, warmup_start_factor)
        self.gamma = gamma

    def _validate(self, owner):
        _real(self.gamma, "gamma", owner, low=0, include_low=False)

    def _kernel(self):
        return {"gamma": float(self.gamma)}

    def _decay(self, eta0, k):
        return eta0 * float(self.gamma) ** k


class Cosine(_Decay):
    """Cosine annealing from eta0 to eta_min over T_max clock units, then eta_min
    (torch CosineAnnealingLR, closed form), optionally after a linear warmup."""
    name = "cosine"
    code = COSINE
    _params = ("T_max", "eta_min", "per", "warmup", "warmup_start_factor")

    def __init__(self, T_max, eta_min=0.0, *, per="epoch", warmup=0,
                 warmup_start_factor=0.1):
        super().__init__(per, warmup, warmup_start_factor)
        self.T_max = T_max
        self.eta_min = eta_min

    def _validate(self, owner):
        _int(self.T_max, "T_max", owner, 1)
        _real(self.eta_min, "eta_min", owner, low=0)

    def _kernel(self):
        return {"t_max": float(self.T_max), "eta_min": float(self.eta_min)}

    def _decay(self, eta0, k):
        if k >= self.T_max:
            return float(self.eta_min)
        return self.eta_min + (eta0 - self.eta_min) * (1.0 + math.cos(math.pi * k / self.T_max)) / 2.0


class ReduceOnPlateau(Constant):
    """torch.optim.lr_scheduler.ReduceLROnPlateau, decided in Python at each epoch end on
    the training objective (mode 'min') or, with a validation score, on it (mode 'max'):
    after more than `patience` epochs without improvement (relative or absolute `threshold`)
    the rate is multiplied by `factor` (not below `min_lr`), then `cooldown` epochs pass
    before bad epochs count again."""
    name = "plateau"
    _params = ("factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr")

    def __init__(self, factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0):
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lr = min_lr

    def validate(self):
        owner = "ReduceOnPlateau"
        _real(self.factor, "factor", owner, low=0, include_low=False, high=1,
              include_high=False)
        _int(self.patience, "patience", owner, 0)
        _real(self.threshold, "threshold", owner, low=0)
        if self.threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{owner}: threshold_mode must be 'rel' or 'abs', got "
                             f"{self.threshold_mode!r}.")
        _int(self.cooldown, "cooldown", owner, 0)
        _real(self.min_lr, "min_lr", owner, low=0)
        return self

    def new_state(self, mode):
        return {"mode": mode, "best": math.inf if mode == "min" else -math.inf,
                "num_bad": 0, "cooldown_counter": 0}

    def _is_better(self, a, best, mode):
        if mode == "min":
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == "rel"
                        else best - self.threshold)
        return a > (best * (1.0 + self.threshold) if self.threshold_mode == "rel"
                    else best + self.threshold)

    def step(self, metric, eta, state):
        """One epoch end: update `state` in place and return the new rate."""
        if self._is_better(metric, state["best"], state["mode"]):
            state["best"] = metric
            state["num_bad"] = 0
        else:
            state["num_bad"] += 1
        if state["cooldown_counter"] > 0:
            state["cooldown_counter"] -= 1
            state["num_bad"] = 0
        if state["num_bad"] > self.patience:
            new = max(eta * self.factor, self.min_lr)
            if eta - new > 1e-8:
                eta = new
            state["cooldown_counter"] = self.cooldown
            state["num_bad"] = 0
        return eta


def get_schedule(learning_rate, power_t=0.25):
    """A schedule object from a scikit-learn name (using `power_t` for 'invscaling') or a
    Schedule instance (validated, returned as is)."""
    if isinstance(learning_rate, str):
        if learning_rate not in SCHEDULES:
            raise ValueError(f"learning_rate must be one of {sorted(SCHEDULES)} or a Schedule "
                             f"object from fastsgd.schedules, got {learning_rate!r}.")
        if learning_rate == "invscaling":
            return InvScaling(power_t)
        return {"constant": Constant, "optimal": Optimal, "adaptive": Adaptive}[learning_rate]()
    if isinstance(learning_rate, Schedule):
        return learning_rate.validate()
    raise TypeError(f"learning_rate must be one of {sorted(SCHEDULES)} or a Schedule object "
                    f"from fastsgd.schedules, got {learning_rate!r} "
                    f"({type(learning_rate).__name__}).")


def optimal_init(loss, alpha, epsilon=0.1):
    """t0 of the 'optimal' schedule, as scikit-learn computes it."""
    from ._reference.linear import column_loss

    typw = np.sqrt(1.0 / np.sqrt(alpha))
    _, dloss = column_loss(loss, np.array([-typw]), np.array([1.0]), epsilon)
    initial_eta0 = typw / max(1.0, float(dloss[0]))
    return 1.0 / (initial_eta0 * alpha)
