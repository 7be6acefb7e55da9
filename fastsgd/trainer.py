"""The training loop: epochs, iterations, budgets, stopping, callbacks and history.

`LinearTrainer` fits a linear model (K outputs) on validated arrays by mini-batch SGD. It owns
the state (weights, ASGD averages, L1 state, counters, the random Generator), calls the
compiled kernel on blocks of batches (never Python per batch), and makes every epoch-level
decision in Python. Estimators such as `fastsgd.SGDClassifier` are thin layers over it; it is
public for people who build their own.

Counters (exact, and kept by the kernel itself so that Ctrl-C between blocks leaves them
consistent with the weights):

- ``n_updates_``: parameter updates (iterations) made so far;
- ``samples_seen_``: rows that contributed to those updates;
- ``n_epochs_``: epochs begun (the last may be partial when ``max_updates`` cuts it);
- ``t_``: scikit-learn's schedule clock, updates since the last reset + 1.
"""
import contextlib
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from . import _linear
from ._threads import resolve_n_jobs
from ._validation import (check_batch_size, check_budget, check_choice, check_features,
                          check_number, check_sample_weight, check_target)
from .batching import EpochPlan
from .losses import ALL_LOSSES, is_classification, loss_code
from .optimizers import get_optimizer
from .schedules import Adaptive, Optimal, ReduceOnPlateau, get_schedule, optimal_init

__all__ = ["LinearTrainer", "DivergenceError", "EpochInfo"]

PENALTIES = ("l2", "l1", "elasticnet", None)
# kernel calls are sized to about this many multiply-adds (~10-50 ms): Ctrl-C, progress and
# the divergence snapshot stay responsive while the per-call cost stays invisible
BLOCK_WORK = 2e7
# From this many outputs on, float32 batch gradients go through BLAS GEMM instead of the
# fused per-row loop. Measured at d = 784 (GEMM / fused samples/s): K = 10 float32 B = 32, 256:
# 1.13, 1.17; K = 3: 0.71, 0.72; float64 K = 10: 0.92, 0.95. See the README.
GEMM_MIN_OUTPUTS = 8


def use_gemm(n_outputs, dtype):
    """Whether batch gradients go through GEMM (where it measured faster)."""
    return n_outputs >= GEMM_MIN_OUTPUTS and dtype == np.float32


class DivergenceError(ValueError):
    """Training produced non-finite scores or weights. The model keeps its last finite state."""


@dataclass
class EpochInfo:
    """What an epoch-end callback receives. Return True from the callback to stop training."""
    epoch: int                 # 1-based epoch number over the trainer's life
    iterations: int            # updates made so far
    samples_seen: int
    loss: float                # weighted mean training loss over the epoch
    objective: float           # loss plus penalty (what `tol` watches)
    learning_rate: float       # the rate of the epoch's last update (the kernel's)
    val_score: float           # validation score, NaN without one
    samples_per_s: float
    trainer: "LinearTrainer" = field(repr=False)


class LinearTrainer:
    """Fit a linear model with K outputs by mini-batch stochastic gradient descent.

    One knob, `batch_size`, spans SGD (1), mini-batch GD and batch GD (n_samples); an epoch is
    ceil(N / batch_size) updates (floor with `drop_last`). The batch gradient is the
    sample-weighted sum of per-sample gradients divided by the batch's row count, so
    batch_size=1 is exactly scikit-learn's per-sample rule.

    Parameters
    ----------
    loss : str
        Regression: 'squared_error', 'huber', 'epsilon_insensitive',
        'squared_epsilon_insensitive'. Classification: 'log_loss', 'hinge', 'squared_hinge',
        'modified_huber', 'perceptron'.
    penalty : {'l2', 'l1', 'elasticnet', None}
        L2 is applied as weight decay w <- (1 - eta alpha (1 - l1_ratio)) w at every update.
        L1 is applied after each update by the cumulative truncation of Tsuruoka et al. (2009)
        (scikit-learn's rule): each weight is clipped towards zero, never across it, by the
        L1 budget eta * alpha * l1_ratio accumulated over all updates so far minus what it
        already received. With batches this happens once per batch, using the batch's eta.
        The intercept is never penalized.
    alpha, l1_ratio : float
        Penalty strength and the L1 share of the elastic net.
    optimizer : {'sgd', 'adagrad', 'rmsprop', 'adam', 'adamw'} or Optimizer, default='sgd'
        The update rule, run inside the compiled kernel (`fastsgd.optimizers`: PyTorch's
        hyperparameter names and defaults; the learning rate is `eta0` shaped by
        `learning_rate`). 'sgd' is scikit-learn's plain rule. The optimizer sees the mean
        batch gradient plus the coupled L2 term (penalty='l2' = PyTorch's weight_decay);
        AdamW's decay is decoupled. Its state lives in `optimizer_state_`, is pickled with
        the trainer and carries over `partial_fit` and `warm_start` (it is reset when a fit
        starts from fresh weights or the optimizer's state layout changes).
    learning_rate : {'constant', 'optimal', 'invscaling', 'adaptive'} or Schedule
        scikit-learn's schedules with t counting updates: eta0; 1 / (alpha (t0 + t - 1));
        eta0 / t**power_t; and eta0 divided by 5 each time `n_iter_no_change` epochs fail to
        improve by `tol`. Or a `fastsgd.schedules` object: Step, MultiStep, Exponential,
        Cosine (counting epochs or updates, optional linear warmup; evaluated inside the
        kernel) or ReduceOnPlateau (decided at epoch ends). ``history_['learning_rate']``
        holds the rate of each epoch's last update.
    batch_size : int >= 1
        Rows per update; values above n_samples are clipped with a warning.
    max_iter, max_updates : int or None
        Budgets in epochs and in updates; training stops at whichever comes first.
    shuffle : bool
        Draw a fresh permutation each epoch from ``numpy.random.default_rng(random_state)``.
    tol, n_iter_no_change : float or None, int
        Stop when `n_iter_no_change` epochs in a row fail to lower the training objective by
        `tol` (or, with a validation score, to raise it by `tol`). tol=None never stops early.
    average : bool or int
        ASGD: keep the running average of the weights from update `average` on (True = 1)
        and use it as the model.
    multi_class : {'multinomial', 'ovr'}
        For more than two classes with 'log_loss': one softmax over K outputs, or K binary
        one-vs-rest columns. Other losses are always one-vs-rest.
    restore_best_weights : bool
        With a validation score, end with the weights of the best-scoring epoch.
    callbacks : list of callables
        Each is called as ``cb(EpochInfo)`` after every epoch; returning True stops training.
    verbose : int
        1: one line per epoch; 2: also a line per kernel block inside long epochs.
    n_jobs : int or None
        Threads: None or -1 = all cores, -2 = all but one. Results do not depend on it.
    """

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=1e-4, l1_ratio=0.15,
                 fit_intercept=True, optimizer="sgd", learning_rate="invscaling", eta0=0.01,
                 power_t=0.25,
                 epsilon=0.1, batch_size=32, drop_last=False, max_iter=5, max_updates=None,
                 shuffle=True, random_state=None, tol=1e-3, n_iter_no_change=5, average=False,
                 multi_class="multinomial", restore_best_weights=False, callbacks=(),
                 verbose=0, n_jobs=None):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.epsilon = epsilon
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.max_iter = max_iter
        self.max_updates = max_updates
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.average = average
        self.multi_class = multi_class
        self.restore_best_weights = restore_best_weights
        self.callbacks = callbacks
        self.verbose = verbose
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ parameters
    def _check_params(self):
        loss_code(self.loss)
        if self.penalty not in PENALTIES:
            raise ValueError(f"penalty must be one of 'l2', 'l1', 'elasticnet' or None, "
                             f"got {self.penalty!r}.")
        check_number(self.alpha, "alpha", low=0)
        check_number(self.l1_ratio, "l1_ratio", low=0, high=1)
        check_number(self.power_t, "power_t")
        self._schedule = get_schedule(self.learning_rate, self.power_t)
        self._optim = get_optimizer(self.optimizer)
        if isinstance(self._schedule, Optimal):
            if self.alpha == 0:
                raise ValueError("alpha must be > 0 with learning_rate='optimal' "
                                 "(its step is 1 / (alpha (t0 + t))).")
        else:
            check_number(self.eta0, "eta0", low=0, include_low=False)
        check_number(self.epsilon, "epsilon", low=0)
        check_budget(self.max_iter, self.max_updates)
        if self.tol is not None:
            check_number(self.tol, "tol")
        check_number(self.n_iter_no_change, "n_iter_no_change", low=1, integer=True)
        if not isinstance(self.average, (bool, np.bool_)):
            check_number(self.average, "average", low=0, integer=True)
        check_choice(self.multi_class, "multi_class", ("multinomial", "ovr"))
        check_number(self.verbose, "verbose", low=0, integer=True)
        for name in ("fit_intercept", "shuffle", "drop_last", "restore_best_weights"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}.")
        callbacks = self.callbacks if self.callbacks is not None else ()
        if callable(callbacks) or not all(callable(cb) for cb in callbacks):
            raise TypeError("callbacks must be a list of callables cb(EpochInfo) -> bool.")
        return list(callbacks)

    # ------------------------------------------------------------------ data
    def _prepare(self, X, y, sample_weight, n_classes):
        """Validate arrays and encode the target for the kernel."""
        X = check_features(X, n_features=getattr(self, "n_features_in_", None)
                           if self._initialized() else None,
                           dtype=self.coef_.dtype if self._initialized() else None)
        y = check_target(y, X.shape[0])
        sw = check_sample_weight(sample_weight, X.shape[0])
        if is_classification(self.loss):
            labels = y.astype(np.intp)
            if y.dtype.kind != "f" or (labels != y).any() or labels.min() < 0:
                raise ValueError("For classification losses y must hold class indices "
                                 "0 .. n_classes - 1 (estimators encode labels for you).")
            n_classes = int(labels.max()) + 1 if n_classes is None else int(n_classes)
            if n_classes < 2:
                raise ValueError("y has a single class: at least 2 are needed to classify.")
            if labels.max() >= n_classes:
                raise ValueError(f"y holds class index {labels.max()} but n_classes={n_classes}.")
            y_kernel = 2.0 * y - 1.0 if n_classes == 2 else y.copy()
        else:
            n_classes = None
            y_kernel = y
        return X, np.ascontiguousarray(y_kernel, dtype=np.float64), sw, n_classes

    def _initialized(self):
        return hasattr(self, "coef_")

    def _init_state(self, n_features, n_classes, dtype, coef_init=None, intercept_init=None):
        n_outputs = 1 if n_classes is None or n_classes == 2 else n_classes
        self.n_features_in_ = n_features
        self.n_classes_ = n_classes
        self.coef_ = np.zeros((n_outputs, n_features), dtype=dtype)
        self.intercept_ = np.zeros(n_outputs, dtype=dtype)
        if coef_init is not None:
            coef_init = np.asarray(coef_init, dtype=dtype).reshape(self.coef_.shape)
            self.coef_[...] = coef_init
        if intercept_init is not None:
            self.intercept_[...] = np.asarray(intercept_init, dtype=dtype).reshape(n_outputs)
        self._opt_key = None
        self.__dict__.pop("_counters", None)  # a fit from fresh weights starts every count
        self._reset_counters()
        self.n_updates_ = 0
        self.samples_seen_ = 0
        self.n_epochs_ = 0
        self.history_ = {k: [] for k in ("epoch", "iterations", "samples_seen", "loss",
                                         "objective", "learning_rate", "val_score",
                                         "samples_per_s", "time")}
        self._rng = np.random.default_rng(self.random_state)

    def _reset_counters(self):
        """Fresh schedule clock, ASGD average and L1 state (fit and warm starts)."""
        self.avg_coef_ = self.coef_.copy()
        self.avg_intercept_ = self.intercept_.copy()
        self._l1_applied = np.zeros(self.coef_.shape if self._l1_strength() > 0 else (1, 1))
        # [t, L1 budget u, updates, samples, optimizer steps, schedule epoch clock];
        # updates, samples and the optimizer's step count carry over
        old = getattr(self, "_counters", np.zeros(6))
        self._counters = np.array([1.0, 0.0, old[2], old[3], old[4], 0.0])
        self._eta = float(self.eta0)
        self._best = None
        self._no_improvement = 0
        self._plateau = None

    def _ensure_optimizer_state(self):
        """Allocate fresh optimizer state unless the current state fits the optimizer."""
        n_slots = self._optim.n_slots()
        key = (type(self._optim).__name__, n_slots, self.coef_.shape)
        if getattr(self, "_opt_key", None) == key:
            return
        shape = self.coef_.shape if n_slots else (1, 1)
        self._opt_coef = np.zeros((max(n_slots, 1), *shape))
        self._opt_intercept = np.zeros((max(n_slots, 1), shape[0]))
        for slot, value in enumerate(self._optim.state_init()):
            self._opt_coef[slot] = value
            self._opt_intercept[slot] = value
        self._counters[4] = 0.0
        self._opt_key = key

    @property
    def optimizer_state_(self):
        """The optimizer's state: step count and float64 slot arrays (views, not copies):
        'coef' (n_slots, n_outputs, n_features) and 'intercept' (n_slots, n_outputs)."""
        if getattr(self, "_opt_key", None) is None:
            return None
        n_slots = self._opt_key[1]
        return {"optimizer": self._opt_key[0], "step": int(self._counters[4]),
                "coef": self._opt_coef[:n_slots], "intercept": self._opt_intercept[:n_slots]}

    def _l1_strength(self):
        if self.penalty == "l1":
            return float(self.alpha)
        if self.penalty == "elasticnet":
            return float(self.alpha) * float(self.l1_ratio)
        return 0.0

    def _l2_strength(self):
        if self.penalty == "l2":
            return float(self.alpha)
        if self.penalty == "elasticnet":
            return float(self.alpha) * (1.0 - float(self.l1_ratio))
        return 0.0

    def _average_start(self):
        return float(int(self.average))

    @property
    def t_(self):
        return float(self._counters[0])

    def effective_params(self):
        """(coef, intercept) of the model: the ASGD average once averaging has begun."""
        start = self._average_start()
        if start > 0 and start <= self._counters[0] - 1:
            return self.avg_coef_, self.avg_intercept_
        return self.coef_, self.intercept_

    def decision_function(self, X):
        """Scores X W^T + b, shape (n_samples, n_outputs)."""
        if not self._initialized():
            raise ValueError("This LinearTrainer is not fitted yet: call fit or partial_fit.")
        X = check_features(X, n_features=self.n_features_in_, dtype=self.coef_.dtype)
        coef, intercept = self.effective_params()
        return X @ coef.T + intercept

    # ------------------------------------------------------------------ public API
    def fit(self, X, y, sample_weight=None, *, n_classes=None, coef_init=None,
            intercept_init=None, validation_score=None, warm_start=False):
        """Train from fresh weights (or from the current ones with ``warm_start=True``).

        y holds real targets for regression losses, class indices 0..K-1 otherwise.
        `validation_score(coef, intercept) -> float` (higher is better), when given, is
        evaluated after every epoch and drives `tol`/`n_iter_no_change` and
        `restore_best_weights` instead of the training objective.
        """
        callbacks = self._check_params()
        if not (warm_start and self._initialized()):
            for name in ("coef_", "n_features_in_"):
                self.__dict__.pop(name, None)
            X, y_k, sw, n_classes = self._prepare(X, y, sample_weight, n_classes)
            self._init_state(X.shape[1], n_classes, X.dtype, coef_init, intercept_init)
        else:
            X, y_k, sw, n_classes = self._prepare(X, y, sample_weight, n_classes)
            self._reset_counters()
        self._train(X, y_k, sw, self.max_iter, self.max_updates, callbacks, validation_score,
                    warn_on_budget=True)
        return self

    def partial_fit(self, X, y, sample_weight=None, *, n_classes=None):
        """One epoch over (X, y), continuing from the current state (counters, schedule,
        random Generator); the first call initializes it."""
        callbacks = self._check_params()
        X, y_k, sw, n_classes = self._prepare(X, y, sample_weight, n_classes)
        if not self._initialized():
            self._init_state(X.shape[1], n_classes, X.dtype)
        elif n_classes != self.n_classes_:
            raise ValueError(f"partial_fit got n_classes={n_classes}, but the model has "
                             f"{self.n_classes_}.")
        self._train(X, y_k, sw, 1, None, callbacks, None, warn_on_budget=False)
        return self

    # ------------------------------------------------------------------ the loop
    def _settings(self, n_threads, batch_size):
        multinomial = self.n_classes_ is not None and self.n_classes_ > 2 and (
            self.loss == "log_loss" and self.multi_class == "multinomial")
        ovr = self.n_classes_ is not None and self.n_classes_ > 2 and not multinomial
        return {
            "loss": loss_code(self.loss),
            "multinomial": int(multinomial),
            "ovr": int(ovr),
            "epsilon": float(self.epsilon),
            "l2_strength": self._l2_strength(),
            "l1_strength": self._l1_strength(),
            "alpha": float(self.alpha),
            "fit_intercept": int(self.fit_intercept),
            "intercept_decay": 1.0,
            "eta0": self._eta,
            "power_t": float(getattr(self._schedule, "power_t", self.power_t)),
            "optimal_init": (optimal_init(self.loss, self.alpha, self.epsilon)
                             if isinstance(self._schedule, Optimal) else 0.0),
            "average_start": self._average_start(),
            "batch_size": batch_size,
            "n_threads": n_threads,
            "use_gemm": int(use_gemm(self.coef_.shape[0], self.coef_.dtype)),
            "sched_epoch": float(self._counters[5]),
            **self._schedule.kernel_settings(),
            "optim": self._optim.kernel_settings(),
        }

    def learning_rate_at(self, t, epoch=None):
        """The rate the kernel uses at update clock t (1-based) in schedule epoch `epoch`
        (0-based; default: the current one)."""
        if not hasattr(self, "_schedule"):
            self._check_params()
        epoch = self._counters[5] if epoch is None else epoch
        t0 = (optimal_init(self.loss, self.alpha, self.epsilon)
              if isinstance(self._schedule, Optimal) else None)
        return self._schedule.rate(self._eta, t, epoch, alpha=self.alpha, optimal_init=t0)

    def _state_arrays(self):
        return (self.coef_, self.intercept_, self.avg_coef_, self.avg_intercept_,
                self._l1_applied, self._counters, self._opt_coef, self._opt_intercept)

    def _snapshot(self):
        # arrays the kernels leave untouched are not copied (ASGD averages when averaging is
        # off, L1 state without L1): with sparse data a block can cost less than copying
        # n_features weights
        averaging = self._average_start() > 0
        keep = (True, True, averaging, averaging, self._l1_strength() > 0, True, True, True)
        return [a.copy() if k else None for a, k in zip(self._state_arrays(), keep)]

    def _restore(self, snap):
        for target, saved in zip(self._state_arrays(), snap):
            if saved is not None:
                target[...] = saved

    def _train(self, X, y, sw, max_epochs, max_updates, callbacks, validation_score,
               warn_on_budget):
        n = X.shape[0]
        # a streamed chunk smaller than batch_size is normal in partial_fit: no warning there
        batch_size = check_batch_size(self.batch_size, n, warn=warn_on_budget)
        plan = EpochPlan(n, batch_size, self.drop_last)
        ipe = plan.iterations_per_epoch
        n_threads = resolve_n_jobs(self.n_jobs)
        self._ensure_optimizer_state()
        settings = self._settings(n_threads, batch_size)
        kernel = _linear.train_dense_block
        work_per_batch = batch_size * self.coef_.size
        block_work = BLOCK_WORK
        if sp.issparse(X):
            kernel, work_per_batch, block_work = self._csr_kernel(X, batch_size, settings)
        batches_per_block = max(1, int(block_work // max(1, work_per_batch)))
        result = np.zeros(6)
        updates_at_start = self.n_updates_
        epochs_this_call = 0
        self.stop_reason_ = None
        # the kernel's OpenMP threads call BLAS: never nest parallelism
        blas_limit = (threadpool_limits(limits=1, user_api="blas") if settings["use_gemm"]
                      else contextlib.nullcontext())
        try:
            blas_limit.__enter__()
            while True:
                if max_epochs is not None and epochs_this_call >= max_epochs:
                    self.stop_reason_ = "max_iter"
                    break
                if max_updates is not None and self.n_updates_ - updates_at_start >= max_updates:
                    self.stop_reason_ = "max_updates"
                    break
                start_time = time.perf_counter()
                order = self._rng.permutation(n) if self.shuffle else np.arange(n)
                n_batches = ipe
                if max_updates is not None:
                    n_batches = min(ipe, max_updates - (self.n_updates_ - updates_at_start))
                self.n_epochs_ += 1
                epochs_this_call += 1
                sums = np.zeros(3)  # loss, objective, weight
                samples_at_start = self.samples_seen_
                first = 0
                while first < n_batches:
                    count = min(batches_per_block, n_batches - first)
                    snapshot = self._snapshot()
                    settings["eta0"] = self._eta
                    settings["sched_epoch"] = float(self._counters[5])
                    kernel(X, y, sw, order, first, count, self.coef_, self.intercept_,
                           self.avg_coef_, self.avg_intercept_, self._l1_applied,
                           self._opt_coef, self._opt_intercept, self._counters, settings,
                           result)
                    self._last_eta = float(result[5])
                    self.n_updates_ = int(self._counters[2])
                    self.samples_seen_ = int(self._counters[3])
                    sums += result[2:5]
                    if result[0] != 0:
                        self._restore(snapshot)
                        self.n_updates_ = int(self._counters[2])
                        self.samples_seen_ = int(self._counters[3])
                        self._raise_kernel_error(int(result[0]), first + int(result[1]))
                    first += int(result[1])
                    if self.verbose >= 2 and first < n_batches:
                        print(f"  epoch {self.n_epochs_}: {first}/{n_batches} iterations",
                              flush=True)
                elapsed = time.perf_counter() - start_time
                if self._end_epoch(sums, elapsed, self.samples_seen_ - samples_at_start,
                                   first, ipe, max_epochs, callbacks, validation_score):
                    break
        except KeyboardInterrupt:
            self.stop_reason_ = "interrupted"
            warnings.warn(f"Training interrupted in epoch {self.n_epochs_} after "
                          f"{self.n_updates_} updates; the model holds the weights of the last "
                          "completed block of iterations.", RuntimeWarning, stacklevel=3)
        finally:
            blas_limit.__exit__(None, None, None)
        if validation_score is not None and self.restore_best_weights and self._best:
            self._restore_best()
        if (warn_on_budget and self.stop_reason_ == "max_iter" and self.tol is not None
                and max_epochs is not None):
            warnings.warn(f"Maximum number of epochs ({max_epochs}) reached before "
                          "convergence: consider increasing max_iter.", ConvergenceWarning,
                          stacklevel=3)

    def _csr_kernel(self, X, batch_size, settings):
        """The CSR kernel bound to X's arrays, the work of one batch and of one block: an
        update costs the batch's non-zeros (times the outputs), plus O(coef.size) in the
        dense-update mode (elastic net, L1 with averaging); each block also pays
        O(coef.size) to leave real weights behind, so blocks are at least a few of those."""
        data, indices, indptr = X.data, X.indices, X.indptr

        def kernel(_, *args):
            return _linear.train_csr_block(data, indices, indptr, *args)

        n_out = self.coef_.shape[0]
        work = batch_size * max(1.0, indptr[-1] / X.shape[0]) * n_out
        optim = settings["optim"]
        stateful = optim["code"] != 0 or optim["clip_value"] > 0 or optim["clip_norm"] > 0
        mode = _linear.csr_update_mode(settings["l2_strength"], settings["l1_strength"],
                                       settings["average_start"], stateful)
        if mode == 2:
            work += self.coef_.size
        return kernel, work, max(BLOCK_WORK, 8 * self.coef_.size)

    def _raise_kernel_error(self, status, batch):
        epoch, it = self.n_epochs_, self.n_updates_
        if status == _linear.Status.NONFINITE:
            raise DivergenceError(
                f"Training diverged in epoch {epoch}, iteration {batch + 1} of that epoch "
                f"(update {it + 1}): the scores or weights became NaN or infinite. Scale the "
                f"features (e.g. sklearn.preprocessing.StandardScaler) or lower the learning "
                f"rate (eta0={self.eta0!r}, learning_rate={self.learning_rate!r}). The model "
                f"keeps its last finite weights, from update {it}.")
        if status == _linear.Status.NO_MEMORY:
            raise MemoryError("fastsgd could not allocate the kernel's scratch buffers; "
                              "try a smaller batch_size.")
        raise RuntimeError(f"fastsgd kernel returned unknown status {status}.")

    def _end_epoch(self, sums, elapsed, rows_epoch, iterations, ipe, max_epochs, callbacks,
                   validation_score):
        """Record the epoch, report it, run callbacks and decide whether to stop."""
        weight = sums[2] if sums[2] > 0 else 1.0
        loss, objective = sums[0] / weight, sums[1] / weight
        samples = self._counters[3]
        lr = self._last_eta
        self._counters[5] += 1.0  # the schedule's epoch clock
        val = float("nan")
        if validation_score is not None:
            coef, intercept = self.effective_params()
            val = float(validation_score(coef, intercept))
        sps = rows_epoch / elapsed if elapsed > 0 else float("inf")
        h = self.history_
        for key, value in (("epoch", self.n_epochs_), ("iterations", self.n_updates_),
                           ("samples_seen", int(samples)), ("loss", loss),
                           ("objective", objective), ("learning_rate", lr),
                           ("val_score", val), ("samples_per_s", sps), ("time", elapsed)):
            h[key].append(value)
        if self.verbose:
            total = f"/{max_epochs}" if max_epochs is not None else ""
            extra = f" | val {val:.6g}" if validation_score is not None else ""
            print(f"Epoch {self.n_epochs_}{total} | iterations {self.n_updates_} "
                  f"({iterations}/{ipe} this epoch) | loss {loss:.6g}{extra} | lr {lr:.4g} | "
                  f"{sps:,.0f} samples/s", flush=True)
        if not np.isfinite(objective):
            raise DivergenceError(f"The training loss became infinite in epoch "
                                  f"{self.n_epochs_}: scale the features or lower the "
                                  f"learning rate (eta0={self.eta0!r}).")
        stop = self._check_progress(objective, val, validation_score is not None)
        if isinstance(self._schedule, ReduceOnPlateau):
            validated = validation_score is not None
            if self._plateau is None:
                self._plateau = self._schedule.new_state("max" if validated else "min")
            self._eta = self._schedule.step(val if validated else objective, self._eta,
                                            self._plateau)
        info = EpochInfo(self.n_epochs_, self.n_updates_, int(samples), loss, objective, lr,
                         val, sps, self)
        for cb in callbacks:
            if cb(info):
                self.stop_reason_ = "callback"
                stop = True
        return stop

    def _check_progress(self, objective, val, validated):
        """scikit-learn's rule: count epochs without an improvement of at least tol."""
        tol = -np.inf if self.tol is None else self.tol
        if validated:
            improved = not (val < (self._best[0] if self._best else -np.inf) + tol)
            if self._best is None or val > self._best[0]:
                self._best = (val, *(a.copy() for a in self.effective_params()))
        else:
            best = self._best[0] if self._best else np.inf
            improved = not (objective > best - tol)
            if objective < best:
                self._best = (objective,)
        self._no_improvement = 0 if improved else self._no_improvement + 1
        if self._no_improvement >= self.n_iter_no_change:
            if isinstance(self._schedule, Adaptive) and self._eta > 1e-6:
                self._eta /= 5.0
                self._no_improvement = 0
                return False
            self.stop_reason_ = "converged"
            return True
        return False

    def _restore_best(self):
        _, coef, intercept = self._best
        target_coef, target_intercept = self.effective_params()
        target_coef[...] = coef
        target_intercept[...] = intercept
