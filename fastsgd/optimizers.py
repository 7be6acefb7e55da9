"""Optimizers: small configuration objects for the compiled update.

The arithmetic lives once, in ``src_c/_optim.pxd``, and runs inside the kernel (no Python per
batch). These classes only validate and carry the hyperparameters, with PyTorch's names and
defaults (``torch.optim``). Two differences from PyTorch, on purpose:

- **The learning rate is not an optimizer parameter.** It is the trainer's ``eta0`` shaped by
  its ``learning_rate`` schedule (``fastsgd.schedules``), so ``torch.optim.Adam(params,
  lr=1e-3)`` corresponds to ``optimizer=Adam(), eta0=1e-3, learning_rate='constant'``. Note
  that ``eta0`` defaults to 0.01 (scikit-learn's), not to PyTorch's per-optimizer lr defaults.
- **Coupled L2 weight decay is the estimator's penalty**: ``penalty='l2', alpha=a`` adds
  ``a * w`` to the gradient the optimizer sees, exactly like PyTorch's ``weight_decay=a`` for
  SGD, Adagrad, RMSprop and Adam. Only AdamW takes ``weight_decay``, its *decoupled* decay
  ``w <- (1 - eta * weight_decay) w``. The intercept is never penalized nor decayed (like a
  PyTorch bias put in a parameter group with ``weight_decay=0``); it uses the same optimizer.
  L1 truncation (``penalty='l1'`` / ``'elasticnet'``) runs after the optimizer's step.

Every optimizer also takes ``clip_value`` and ``clip_norm`` (Keras' ``clipvalue`` /
``global_clipnorm``), applied to the batch's mean loss gradient before the penalty is added
and before the optimizer sees it, as ``torch.nn.utils.clip_grad_value_`` then
``clip_grad_norm_`` over the weights and the intercept (the norm factor is
``min(1, clip_norm / (||g|| + 1e-6))``, as in PyTorch).

The optimizer state (momentum buffers, squared-gradient sums, moments, the step count) lives
in float64 arrays owned by the trainer (``optimizer_state_``), so it is pickled with the
model and carries over ``partial_fit`` calls and ``warm_start`` fits.

``SGD()`` with ``momentum=0`` (the default, also ``'sgd'``) is scikit-learn's plain rule and
uses the stateless fast path; ``SGD(momentum=m)`` is ``torch.optim.SGD`` with momentum.
"""
import numbers

import numpy as np

from ._params import ConfigObject

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "OPTIMIZERS",
           "get_optimizer"]

# kernel codes of src_c/_optim.pxd (OptimCode)
PLAIN_SGD, MOMENTUM, ADAGRAD, RMSPROP, ADAM = range(5)


def _real(value, name, owner, low=None, high=None, include_low=True, include_high=True):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r} "
                        f"({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}.")
    bad_low = low is not None and (value < low or (value == low and not include_low))
    bad_high = high is not None and (value > high or (value == high and not include_high))
    if bad_low or bad_high:
        lo = f"{'[' if include_low else '('}{low}" if low is not None else "(-inf"
        hi = f"{high}{']' if include_high else ')'}" if high is not None else "inf)"
        raise ValueError(f"{owner}: {name} must be in {lo}, {hi}, got {value!r}.")
    return value


def _flag(value, name, owner):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}.")
    return bool(value)


def _clip(value, name, owner):
    if value is None:
        return None
    return _real(value, name, owner, low=0, include_low=False)


class Optimizer(ConfigObject):
    """Base class: hyperparameters, validation, and the kernel's view of them."""

    name = None
    _params = ()

    def __init__(self, *, clip_value=None, clip_norm=None):
        self.clip_value = clip_value
        self.clip_norm = clip_norm

    def get_params(self):
        return {p: getattr(self, p) for p in (*self._params, "clip_value", "clip_norm")}

    def validate(self):
        """Check every hyperparameter; raise TypeError/ValueError naming it."""
        owner = type(self).__name__
        _clip(self.clip_value, "clip_value", owner)
        _clip(self.clip_norm, "clip_norm", owner)
        self._validate(owner)
        return self

    def _validate(self, owner):
        pass

    @property
    def is_plain(self):
        """Stateless plain SGD (scikit-learn's rule and its fast path)."""
        return False

    def n_slots(self):
        """State arrays per parameter (mirrors optim_slots in src_c/_optim.pxd)."""
        return 0

    def state_init(self):
        """Initial value of each state slot."""
        return [0.0] * self.n_slots()

    def _kernel(self):
        return {}

    def kernel_settings(self):
        """The `optim` struct of the kernel's Settings (all fields)."""
        base = {"code": PLAIN_SGD, "momentum": 0.0, "dampening": 0.0, "nesterov": 0,
                "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "amsgrad": 0, "centered": 0,
                "lr_decay": 0.0, "weight_decay": 0.0,
                "clip_value": 0.0 if self.clip_value is None else float(self.clip_value),
                "clip_norm": 0.0 if self.clip_norm is None else float(self.clip_norm)}
        base.update(self._kernel())
        return base


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum (torch.optim.SGD).

    momentum=0 is scikit-learn's plain update w <- (1 - eta l2) w - eta g. With momentum m,
    the buffer b starts as the first gradient, then b <- m b + (1 - dampening) g, and the step
    is eta * b (eta * (g + m b) with Nesterov).
    """

    name = "sgd"
    _params = ("momentum", "dampening", "nesterov")

    def __init__(self, momentum=0.0, dampening=0.0, nesterov=False, *, clip_value=None,
                 clip_norm=None):
        super().__init__(clip_value=clip_value, clip_norm=clip_norm)
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov

    def _validate(self, owner):
        m = _real(self.momentum, "momentum", owner, low=0)
        d = _real(self.dampening, "dampening", owner, low=0, high=1)
        nesterov = _flag(self.nesterov, "nesterov", owner)
        if nesterov and (m <= 0 or d != 0):
            raise ValueError(f"{owner}: nesterov=True requires momentum > 0 and dampening=0, "
                             f"got momentum={self.momentum!r}, dampening={self.dampening!r}.")

    @property
    def is_plain(self):
        return float(self.momentum) == 0.0

    def n_slots(self):
        return 0 if self.is_plain else 1

    def _kernel(self):
        if self.is_plain:
            return {}
        return {"code": MOMENTUM, "momentum": float(self.momentum),
                "dampening": float(self.dampening), "nesterov": int(bool(self.nesterov))}


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011; torch.optim.Adagrad): s += g^2,
    w -= eta / (1 + (step - 1) lr_decay) * g / (sqrt(s) + eps)."""

    name = "adagrad"
    _params = ("lr_decay", "initial_accumulator_value", "eps")

    def __init__(self, lr_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, *,
                 clip_value=None, clip_norm=None):
        super().__init__(clip_value=clip_value, clip_norm=clip_norm)
        self.lr_decay = lr_decay
        self.initial_accumulator_value = initial_accumulator_value
        self.eps = eps

    def _validate(self, owner):
        _real(self.lr_decay, "lr_decay", owner, low=0)
        _real(self.initial_accumulator_value, "initial_accumulator_value", owner, low=0)
        _real(self.eps, "eps", owner, low=0)

    def n_slots(self):
        return 1

    def state_init(self):
        return [float(self.initial_accumulator_value)]

    def _kernel(self):
        return {"code": ADAGRAD, "lr_decay": float(self.lr_decay), "eps": float(self.eps)}


class RMSprop(Optimizer):
    """RMSprop (Hinton; torch.optim.RMSprop): s = alpha s + (1 - alpha) g^2, step
    eta * g / (sqrt(s) + eps); `centered` subtracts the squared mean gradient, `momentum`
    accumulates the scaled steps."""

    name = "rmsprop"
    _params = ("alpha", "eps", "momentum", "centered")

    def __init__(self, alpha=0.99, eps=1e-8, momentum=0.0, centered=False, *,
                 clip_value=None, clip_norm=None):
        super().__init__(clip_value=clip_value, clip_norm=clip_norm)
        self.alpha = alpha
        self.eps = eps
        self.momentum = momentum
        self.centered = centered

    def _validate(self, owner):
        _real(self.alpha, "alpha", owner, low=0, high=1)
        _real(self.eps, "eps", owner, low=0)
        _real(self.momentum, "momentum", owner, low=0)
        _flag(self.centered, "centered", owner)

    def n_slots(self):
        return 1 + int(bool(self.centered)) + int(float(self.momentum) > 0)

    def _kernel(self):
        return {"code": RMSPROP, "beta2": float(self.alpha), "eps": float(self.eps),
                "momentum": float(self.momentum), "centered": int(bool(self.centered))}


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015; torch.optim.Adam), with bias correction and optional
    AMSGrad. For L2 regularization use the trainer's penalty='l2' (coupled, like PyTorch's
    Adam weight_decay) or AdamW (decoupled)."""

    name = "adam"
    _params = ("betas", "eps", "amsgrad")

    def __init__(self, betas=(0.9, 0.999), eps=1e-8, amsgrad=False, *, clip_value=None,
                 clip_norm=None):
        super().__init__(clip_value=clip_value, clip_norm=clip_norm)
        self.betas = betas
        self.eps = eps
        self.amsgrad = amsgrad

    def _validate(self, owner):
        betas = self.betas
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}.")
        _real(betas[0], "betas[0]", owner, low=0, high=1, include_high=False)
        _real(betas[1], "betas[1]", owner, low=0, high=1, include_high=False)
        _real(self.eps, "eps", owner, low=0)
        _flag(self.amsgrad, "amsgrad", owner)

    def n_slots(self):
        return 3 if self.amsgrad else 2

    def _kernel(self):
        return {"code": ADAM, "beta1": float(self.betas[0]), "beta2": float(self.betas[1]),
                "eps": float(self.eps), "amsgrad": int(bool(self.amsgrad))}


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter 2019; torch.optim.AdamW): Adam with decoupled weight
    decay w <- (1 - eta weight_decay) w before the Adam step (eta = the scheduled rate).
    The intercept is not decayed."""

    name = "adamw"
    _params = ("betas", "eps", "weight_decay", "amsgrad")

    def __init__(self, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 clip_value=None, clip_norm=None):
        super().__init__(betas=betas, eps=eps, amsgrad=amsgrad, clip_value=clip_value,
                         clip_norm=clip_norm)
        self.weight_decay = weight_decay

    def _validate(self, owner):
        super()._validate(owner)
        _real(self.weight_decay, "weight_decay", owner, low=0)

    def _kernel(self):
        return {**super()._kernel(), "weight_decay": float(self.weight_decay)}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adagrad, RMSprop, Adam, AdamW)}


def get_optimizer(optimizer):
    """An optimizer object from a name ('sgd', 'adagrad', 'rmsprop', 'adam', 'adamw', with
    default hyperparameters) or an Optimizer instance (validated, returned as is)."""
    if optimizer is None:
        optimizer = "sgd"
    if isinstance(optimizer, str):
        if optimizer.lower() not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)} or an "
                             f"Optimizer object from fastsgd.optimizers, got {optimizer!r}.")
        return OPTIMIZERS[optimizer.lower()]().validate()
    if isinstance(optimizer, Optimizer):
        return optimizer.validate()
    raise TypeError(f"optimizer must be a name {sorted(OPTIMIZERS)} or an Optimizer object "
                    f"from fastsgd.optimizers, got {optimizer!r} ({type(optimizer).__name__}).")
