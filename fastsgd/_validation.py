"""Input and parameter validation: every bad value is refused here, before any kernel runs,
with an error that names the parameter."""
import numbers

import numpy as np
import scipy.sparse as sp

__all__ = ["check_features", "check_target", "check_sample_weight", "check_choice",
           "check_number", "check_batch_size", "check_budget"]


def _first_nonfinite(a):
    bad = np.argwhere(~np.isfinite(a))[0]
    return ", ".join(str(int(i)) for i in bad)


def check_features(X, name="X", dtype=None, n_features=None):
    """Return X as a C-contiguous float32/float64 2-D array (no copy when it already is one;
    a memory-mapped array stays memory-mapped)."""
    if X is None:
        raise ValueError(f"{name} is None; expected a 2-D array of shape (n_samples, n_features).")
    if sp.issparse(X):
        raise TypeError(f"{name} is a sparse matrix; sparse input is not supported yet: "
                        f"pass {name}.toarray() or a dense array.")
    X = np.asarray(X)
    if X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} holds complex numbers.")
    if X.dtype.kind not in "biuf":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must hold numbers, got dtype {X.dtype} ({exc}).") from exc
    if X.ndim != 2:
        hint = (" Reshape your data with X.reshape(-1, 1) for one feature or X.reshape(1, -1) "
                "for one sample." if X.ndim == 1 else "")
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got {X.ndim}-D with "
                         f"shape {X.shape}.{hint}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: found 0 samples (shape {X.shape}).")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={X.shape}) while a minimum of 1 "
                         "is required.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but the model was fitted with "
                         f"{n_features} features.")
    if dtype is None:
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    X = np.ascontiguousarray(X, dtype=dtype)
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinity (first at index "
                         f"[{_first_nonfinite(X)}]); clean or impute the data first.")
    return X


def check_target(y, n_samples, name="y"):
    """Return y as a 1-D array of n_samples finite values (float64 for numeric targets)."""
    if y is None:
        raise ValueError(f"{name} is None; a target is required.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} has {y.shape[0]} samples but X has {n_samples}: "
                         "they must match.")
    if y.dtype.kind in "biuf":
        y = y.astype(np.float64)
        if not np.isfinite(y).all():
            raise ValueError(f"{name} contains NaN or infinity (first at index "
                             f"{_first_nonfinite(y)}).")
    return y


def check_sample_weight(sample_weight, n_samples, name="sample_weight"):
    """Return float64 weights of shape (n_samples,): ones when None."""
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {w.dtype}.")
    w = w.astype(np.float64)
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(f"{name} must have shape ({n_samples},), got {w.shape}.")
    if not np.isfinite(w).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative; found {int((w < 0).sum())} "
                         "negative weights.")
    if not (w > 0).any():
        raise ValueError(f"{name} is zero everywhere: there is nothing to learn from.")
    return np.ascontiguousarray(w)


def check_choice(value, name, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}.")
    return value


def check_number(value, name, low=None, high=None, include_low=True, include_high=True,
                 integer=False):
    """A finite real (or integer) scalar in [low, high] (bounds open where include_* is
    False); TypeError/ValueError naming the parameter."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an integer' if integer else 'a real number'}, "
                        f"got {value!r} ({type(value).__name__}).")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    too_low = low is not None and (value < low or (value == low and not include_low))
    too_high = high is not None and (value > high or (value == high and not include_high))
    if too_low or too_high:
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        interval = f"{'[' if include_low and low is not None else '('}{lo}, {hi}" \
                   f"{']' if include_high and high is not None else ')'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}.")
    return int(value) if integer else float(value)


def check_batch_size(batch_size, n_samples, warn=True):
    """An integer >= 1; values above n_samples are clipped to n_samples with a warning."""
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"batch_size must be an integer >= 1, got {batch_size!r} "
                        f"({type(batch_size).__name__}).")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    if batch_size > n_samples:
        if warn:
            import warnings
            warnings.warn(f"batch_size={batch_size} is larger than the {n_samples} training "
                          f"samples; using batch_size={n_samples} (batch gradient descent).",
                          UserWarning, stacklevel=3)
        return int(n_samples)
    return int(batch_size)


def check_budget(max_iter, max_updates):
    """Epoch and update budgets: each None or an integer >= 1, not both None."""
    if max_iter is not None:
        check_number(max_iter, "max_iter", low=1, integer=True)
    if max_updates is not None:
        check_number(max_updates, "max_updates", low=1, integer=True)
    if max_iter is None and max_updates is None:
        raise ValueError("max_iter and max_updates are both None: give a budget in epochs "
                         "(max_iter) or in iterations (max_updates).")
