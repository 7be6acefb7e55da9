"""Epochs, iterations and batch sizes: the bookkeeping every fastsgd user reasons in.

An *epoch* is one pass over the training set; an *iteration* (update, step) is one parameter
update from one batch. With N samples and batch size B an epoch has ceil(N / B) iterations,
the last batch holding the N mod B left-over samples, or floor(N / B) with ``drop_last=True``
(the left-over samples are skipped in that epoch; with shuffling they differ every epoch).

>>> plan = EpochPlan(60000, 100)
>>> plan.iterations_per_epoch, plan.iterations_for(10), plan.epochs_for(30000)
(600, 6000, 50)
>>> EpochPlan(34, 16).batch_sizes().tolist(), EpochPlan(34, 16, drop_last=True).batch_sizes().tolist()
([16, 16, 2], [16, 16])
"""
import math
import numbers

import numpy as np

__all__ = ["EpochPlan"]


def _positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}.")
    return int(value)


class EpochPlan:
    """How one epoch of `n_samples` splits into batches of `batch_size`.

    Parameters
    ----------
    n_samples : int >= 1
    batch_size : int >= 1
        1 is stochastic GD, `n_samples` is batch GD, anything between is mini-batch GD.
        Must not exceed `n_samples` (estimators clip it with a warning).
    drop_last : bool, default=False
        Skip the last, smaller batch of each epoch (floor instead of ceil).
    """

    def __init__(self, n_samples, batch_size, drop_last=False):
        self.n_samples = _positive_int(n_samples, "n_samples")
        self.batch_size = _positive_int(batch_size, "batch_size")
        if self.batch_size > self.n_samples:
            raise ValueError(f"batch_size={batch_size} exceeds n_samples={n_samples}; "
                             "use batch_size <= n_samples (batch_size=n_samples is batch GD).")
        self.drop_last = bool(drop_last)

    @property
    def iterations_per_epoch(self):
        """Parameter updates in one epoch: ceil(N / B), or floor(N / B) with drop_last."""
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    @property
    def samples_per_epoch(self):
        """Samples that contribute to the updates of one epoch."""
        if self.drop_last:
            return self.iterations_per_epoch * self.batch_size
        return self.n_samples

    def batch_sizes(self):
        """Rows in each batch of one epoch, in order (the last may be smaller)."""
        sizes = np.full(self.iterations_per_epoch, self.batch_size, dtype=np.intp)
        if not self.drop_last and self.n_samples % self.batch_size:
            sizes[-1] = self.n_samples % self.batch_size
        return sizes

    def batch_bounds(self, iteration):
        """(start, stop) positions in the epoch's sample order of batch `iteration`."""
        if not 0 <= iteration < self.iterations_per_epoch:
            raise IndexError(f"iteration {iteration} is outside 0..{self.iterations_per_epoch - 1}")
        start = iteration * self.batch_size
        return start, min(start + self.batch_size, self.n_samples)

    def iterations_for(self, epochs):
        """Updates made by `epochs` full epochs."""
        if isinstance(epochs, (bool, np.bool_)) or not isinstance(epochs, numbers.Integral) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}.")
        return int(epochs) * self.iterations_per_epoch

    def epochs_for(self, iterations):
        """Epochs needed to make `iterations` updates (the last one may be partial)."""
        if (isinstance(iterations, (bool, np.bool_)) or not isinstance(iterations, numbers.Integral)
                or iterations < 0):
            raise ValueError(f"iterations must be a non-negative integer, got {iterations!r}.")
        return math.ceil(int(iterations) / self.iterations_per_epoch)

    def __repr__(self):
        return (f"EpochPlan(n_samples={self.n_samples}, batch_size={self.batch_size}, "
                f"drop_last={self.drop_last}): {self.iterations_per_epoch} iterations per epoch")
