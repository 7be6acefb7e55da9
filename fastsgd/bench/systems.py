"""The systems the benchmark compares, behind one small interface.

Every system trains the same linear model (binary logistic, multinomial softmax or squared
error; L2 penalty ALPHA; constant learning rate `eta`) on the same Dataset, with the same
number of threads, and returns a `Timing`: training seconds (evaluation excluded), rows
processed, epochs run. `train(..., time_budget=s)` lets the slow Python-per-batch peers stop
at the first batch boundary after `s` seconds: their cost per update is stationary, so
samples/s over a partial epoch is their throughput (the Timing says how many epochs ran).

`on_epoch(predict) -> bool` is called at each epoch end with a function mapping X to class
indices; its time is not counted, and returning True stops training (time-to-accuracy).
"""
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from .data import TASKS

__all__ = ["Timing", "System", "FastSGD", "SklearnSGD", "SklearnMLP", "NumpyLoop", "TorchLoop",
           "ALL_SYSTEMS", "ALPHA"]

ALPHA = 1e-4    # L2 strength for every system
ETA = 0.01      # constant learning rate for the throughput runs


@dataclass
class Timing:
    seconds: float     # training time, evaluation callbacks excluded
    samples: int       # rows that contributed to updates
    epochs: float      # epochs run (fractional when a time budget cut the last one)

    @property
    def samples_per_s(self):
        return self.samples / self.seconds if self.seconds > 0 else float("inf")


class Stopwatch:
    """Elapsed training time with the time spent in evaluation callbacks taken out."""

    def __init__(self):
        self.restart()

    def restart(self):
        self._start = time.perf_counter()
        self._excluded = 0.0

    def elapsed(self):
        return time.perf_counter() - self._start - self._excluded

    @contextmanager
    def excluded(self):
        start = time.perf_counter()
        try:
            yield
        finally:
            self._excluded += time.perf_counter() - start


class System:
    """A trainer to compare. Subclasses set `name` and implement `train`."""
    name = "?"
    description = ""
    kinds = ("dense",)

    def available(self):
        """None when usable, else the reason it is skipped."""
        return None

    def supports(self, dataset, batch_size):
        return dataset.kind in self.kinds

    def train(self, dataset, *, batch_size, epochs, threads, shuffle=True, seed=0, eta=ETA,
              time_budget=None, on_epoch=None):
        raise NotImplementedError


def _labels(scores):
    """Class indices from decision scores, (n,) or (n, 1) for binary, (n, K) otherwise."""
    scores = np.asarray(scores)
    if scores.ndim == 1 or scores.shape[1] == 1:
        return (scores.reshape(-1) > 0).astype(np.intp)
    return scores.argmax(axis=1)


class FastSGD(System):
    name = "fastsgd"
    description = "fastsgd.LinearTrainer (compiled kernel, a block of batches per call)"

    def train(self, dataset, *, batch_size, epochs, threads, shuffle=True, seed=0, eta=ETA,
              time_budget=None, on_epoch=None):
        from ..trainer import LinearTrainer
        loss, n_classes = TASKS[dataset.task]
        watch = Stopwatch()

        def at_epoch_end(info):
            stop = False
            if on_epoch is not None:
                with watch.excluded():
                    stop = bool(on_epoch(lambda X: _labels(info.trainer.decision_function(X))))
            return stop or (time_budget is not None and watch.elapsed() > time_budget)

        callbacks = [at_epoch_end] if (on_epoch or time_budget) else []
        trainer = LinearTrainer(loss, penalty="l2", alpha=ALPHA, learning_rate="constant",
                                eta0=eta, batch_size=min(batch_size, dataset.n_samples),
                                max_iter=epochs, tol=None, shuffle=shuffle, random_state=seed,
                                n_jobs=threads, callbacks=callbacks)
        with threadpool_limits(limits=threads, user_api="blas"):
            trainer.fit(dataset.X, dataset.y, n_classes=n_classes)
        # epoch time (shuffle, kernel blocks, per-epoch Python; callbacks excluded), as for
        # the loop peers; fit's one-time input validation (a pass over X) is not an epoch's
        seconds = float(np.sum(trainer.history_["time"]))
        return Timing(seconds, trainer.samples_seen_, trainer.n_epochs_)


class SklearnSGD(System):
    name = "sklearn"
    description = ("scikit-learn SGDClassifier/SGDRegressor (per-sample; n_jobs only splits "
                   "one-vs-rest classes; 10 classes = one-vs-rest, not softmax)")

    def supports(self, dataset, batch_size):
        return super().supports(dataset, batch_size) and batch_size == 1

    def _model(self, dataset, epochs, threads, shuffle, seed, eta):
        from sklearn.linear_model import SGDClassifier, SGDRegressor
        schedule = dict(learning_rate="constant", eta0=eta) if eta is not None else {}
        common = dict(penalty="l2", alpha=ALPHA, max_iter=epochs, tol=None, shuffle=shuffle,
                      random_state=seed, **schedule)
        if TASKS[dataset.task][1] is None:
            return SGDRegressor(loss="squared_error", **common)
        return SGDClassifier(loss="log_loss", n_jobs=threads, **common)

    def train(self, dataset, *, batch_size, epochs, threads, shuffle=True, seed=0, eta=ETA,
              time_budget=None, on_epoch=None):
        model = self._model(dataset, epochs, threads, shuffle, seed, eta)
        n_classes = TASKS[dataset.task][1]
        y = dataset.y if n_classes is None else dataset.y.astype(np.intp)
        watch = Stopwatch()
        done = 0
        with threadpool_limits(limits=threads, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            watch.restart()
            if on_epoch is None:   # compiled epochs: the time budget is not needed
                model.fit(dataset.X, y)
                done = epochs
            else:  # one epoch per partial_fit call, so that we can look in between
                extra = {} if n_classes is None else {"classes": np.arange(n_classes)}
                while done < epochs:
                    model.partial_fit(dataset.X, y, **extra)
                    done += 1
                    if on_epoch is not None:
                        with watch.excluded():
                            if on_epoch(lambda X: _labels(model.decision_function(X))):
                                break
                    if time_budget is not None and watch.elapsed() > time_budget:
                        break
            seconds = watch.elapsed()
        return Timing(seconds, done * dataset.n_samples, done)


class SklearnMLP(System):
    name = "sklearn-mlp"
    description = ("scikit-learn MLPClassifier with no hidden layer (= softmax regression), "
                   "solver='sgd', no momentum: sklearn's only mini-batch softmax")

    def supports(self, dataset, batch_size):
        # B = 1 is covered by SGDClassifier; the MLP's Python loop per batch would take minutes
        return (super().supports(dataset, batch_size) and dataset.task == "softmax"
                and batch_size > 1)

    def train(self, dataset, *, batch_size, epochs, threads, shuffle=True, seed=0, eta=ETA,
              time_budget=None, on_epoch=None):
        from sklearn.neural_network import MLPClassifier
        model = MLPClassifier(hidden_layer_sizes=(), solver="sgd", batch_size=batch_size,
                              learning_rate="constant", learning_rate_init=eta, momentum=0.0,
                              nesterovs_momentum=False, alpha=ALPHA, max_iter=epochs,
                              shuffle=shuffle, random_state=seed, tol=0.0,
                              n_iter_no_change=epochs + 1)
        y = dataset.y.astype(np.intp)
        classes = np.arange(TASKS[dataset.task][1])
        watch = Stopwatch()
        done = 0
        with threadpool_limits(limits=threads, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            watch.restart()
            while done < epochs:
                model.partial_fit(dataset.X, y, classes=classes)
                done += 1
                if on_epoch is not None:
                    with watch.excluded():
                        if on_epoch(model.predict):
                            break
                if time_budget is not None and watch.elapsed() > time_budget:
                    break
            seconds = watch.elapsed()
        return Timing(seconds, done * dataset.n_samples, done)


def _targets(dataset, dtype):
    """Per-row targets for the hand loops: one-hot (softmax), 0/1 (binary), real values."""
    n_classes = TASKS[dataset.task][1]
    if n_classes is not None and n_classes > 2:
        return np.eye(n_classes, dtype=dtype)[dataset.y.astype(np.intp)]
    return dataset.y.astype(dtype).reshape(-1, 1)


class NumpyLoop(System):
    name = "numpy"
    description = "plain NumPy mini-batch loop (vectorized per batch, Python per batch)"

    def train(self, dataset, *, batch_size, epochs, threads, shuffle=True, seed=0, eta=ETA,
              time_budget=None, on_epoch=None):
        X = dataset.X
        dtype = X.dtype
        T = _targets(dataset, dtype)
        n, d = X.shape
        k = T.shape[1]
        task = dataset.task
        W = np.zeros((d, k), dtype=dtype)
        b = np.zeros(k, dtype=dtype)
        decay = dtype.type(1.0 - eta * ALPHA)
        rng = np.random.default_rng(seed)
        watch = Stopwatch()
        samples, epochs_run = 0, 0.0
        with threadpool_limits(limits=threads, user_api="blas"), np.errstate(over="ignore"):
            watch.restart()
            for _ in range(epochs):
                order = rng.permutation(n) if shuffle else None
                out_of_time = False
                for start in range(0, n, batch_size):
                    if order is not None:
                        rows = order[start:start + batch_size]
                        Xb, Tb = X[rows], T[rows]
                    else:
                        Xb, Tb = X[start:start + batch_size], T[start:start + batch_size]
                    G = Xb @ W
                    G += b
                    if task == "softmax":
                        G -= G.max(axis=1, keepdims=True)
                        np.exp(G, out=G)
                        G /= G.sum(axis=1, keepdims=True)
                    elif task == "binary":
                        np.negative(G, out=G)
                        np.exp(G, out=G)
                        G += 1
                        np.reciprocal(G, out=G)
                    G -= Tb                       # dL/dz for all three losses
                    step = dtype.type(eta / len(Xb))
                    W *= decay
                    W -= step * (Xb.T @ G)
                    b -= step * G.sum(axis=0)
                    samples += len(Xb)
                    if time_budget is not None and watch.elapsed() > time_budget:
                        out_of_time = True
                        break
                epochs_run += (start + len(Xb)) / n
                if on_epoch is not None and not out_of_time:
                    with watch.excluded():
                        if on_epoch(lambda Xe: _labels(Xe @ W + b)):
                            break
                if out_of_time:
                    break
            seconds = watch.elapsed()
        return Timing(seconds, samples, epochs_run)


class TorchLoop(System):
    name = "torch"
    description = ("PyTorch on the CPU: nn.Linear + loss + optim.SGD, autograd, a hand loop "
                   "with index slicing (no DataLoader), torch.set_num_threads")

    def available(self):
        try:
            import torch  # noqa: F401
        except ImportError:
            return "PyTorch is not installed (pip install 'fastsgd[peers]')"
        return None

    def train(self, dataset, *, batch_size, epochs, threads, shuffle=True, seed=0, eta=ETA,
              time_budget=None, on_epoch=None):
        import torch
        X = torch.from_numpy(dataset.X)
        n, d = dataset.X.shape
        n_classes = TASKS[dataset.task][1]
        if dataset.task == "softmax":
            y = torch.from_numpy(dataset.y.astype(np.int64))
            loss_fn = torch.nn.CrossEntropyLoss()
            k = n_classes
        else:
            y = torch.from_numpy(dataset.y.astype(dataset.X.dtype).reshape(-1, 1))
            k = 1
            if dataset.task == "binary":
                loss_fn = torch.nn.BCEWithLogitsLoss()
            else:
                def loss_fn(z, t):
                    return 0.5 * torch.nn.functional.mse_loss(z, t)
        previous_threads = torch.get_num_threads()
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        model = torch.nn.Linear(d, k, dtype=X.dtype)
        with torch.no_grad():
            model.weight.zero_()
            model.bias.zero_()
        opt = torch.optim.SGD(model.parameters(), lr=eta, weight_decay=ALPHA)
        rng = np.random.default_rng(seed)
        watch = Stopwatch()
        samples, epochs_run = 0, 0.0

        def predict(Xe):
            with torch.no_grad():
                return _labels(model(torch.from_numpy(Xe)).numpy())

        try:
            watch.restart()
            for _ in range(epochs):
                order = torch.from_numpy(rng.permutation(n)) if shuffle else None
                out_of_time = False
                for start in range(0, n, batch_size):
                    if order is not None:
                        rows = order[start:start + batch_size]
                        xb, yb = X[rows], y[rows]
                    else:
                        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
                    opt.zero_grad()
                    loss = loss_fn(model(xb), yb)
                    loss.backward()
                    opt.step()
                    samples += len(xb)
                    if time_budget is not None and watch.elapsed() > time_budget:
                        out_of_time = True
                        break
                epochs_run += (start + len(xb)) / n
                if on_epoch is not None and not out_of_time:
                    with watch.excluded():
                        if on_epoch(predict):
                            break
                if out_of_time:
                    break
            seconds = watch.elapsed()
        finally:
            torch.set_num_threads(previous_threads)
        return Timing(seconds, samples, epochs_run)


ALL_SYSTEMS = [FastSGD(), NumpyLoop(), TorchLoop(), SklearnSGD(), SklearnMLP()]
