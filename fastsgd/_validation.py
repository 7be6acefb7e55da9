"""Input and parameter validation: every bad value is refused here, before any kernel runs,
with an error that names the parameter."""
import numbers

import numpy as np
import scipy.sparse as sp

__all__ = ["check_features", "check_csr", "check_target", "check_sample_weight", "check_choice",
           "check_number", "check_batch_size", "check_budget"]


def all_finite(a):
    """True when every value of the float array `a` is finite, without an N x d temporary:
    a sum is NaN/inf whenever a value is (one pass at memory speed); only when the sum is not
    finite (a bad value, or an overflow of huge finite ones) are the values checked in
    chunks."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(a)):
            return True
    flat = a.reshape(-1)
    step = 1 << 20
    return all(np.isfinite(flat[i:i + step]).all() for i in range(0, flat.size, step))


def _first_nonfinite(a):
    bad = np.argwhere(~np.isfinite(a))[0]
    return ", ".join(str(int(i)) for i in bad)


def check_features(X, name="X", dtype=None, n_features=None, canonicalize=False):
    """Return X as a C-contiguous float32/float64 2-D array (no copy when it already is one;
    a memory-mapped array stays memory-mapped), or a validated CSR matrix (see check_csr)."""
    if X is None:
        raise ValueError(f"{name} is None; expected a 2-D array of shape (n_samples, n_features).")
    if sp.issparse(X):
        return check_csr(X, name=name, dtype=dtype, n_features=n_features,
                         canonicalize=canonicalize)
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
    if not all_finite(X):
        raise ValueError(f"{name} contains NaN or infinity (first at index "
                         f"[{_first_nonfinite(X)}]); clean or impute the data first.")
    return X


def _row_of(indptr, position):
    """The row that holds stored entry `position` of a CSR matrix."""
    return int(np.searchsorted(indptr, position, side="right")) - 1


def check_csr(X, name="X", dtype=None, n_features=None, canonicalize=False):
    """Return a validated CSR matrix for the sparse kernel.

    Any ``scipy.sparse`` matrix or array is accepted; formats other than CSR are converted
    once (``X.tocsr()``, which also sums COO duplicates). Values keep float32/float64 (other
    numeric dtypes become float64, or `dtype` when given); int32 and int64 indices are both
    used as they are, without a copy (indptr is cast to the indices' dtype when the two
    differ). A CSR input that needs no change is returned as is.

    Refused with a ValueError naming the problem (and the row where there is one), before any
    kernel runs: wrong shape or no samples/features, a bad `indptr` (length, start, not
    non-decreasing, end past the stored entries), column indices that are negative, >=
    n_features, unsorted or duplicated within a row (no silent canonicalization: call
    ``X.sum_duplicates()`` / ``X.sort_indices()`` first), and NaN or infinite values.
    With ``canonicalize=True`` (what the estimators pass, since e.g. TfidfVectorizer emits
    unsorted indices) a copy with sorted indices and summed duplicates (scipy's meaning of a
    duplicate) is made instead of the unsorted/duplicate error.
    """
    if len(X.shape) != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}.")
    if X.format != "csr":
        X = X.tocsr()
    n_samples, n_cols = X.shape
    if n_samples == 0:
        raise ValueError(f"{name} is empty: found 0 samples (shape {X.shape}).")
    if n_cols == 0:
        raise ValueError(f"{name} has 0 features (shape {X.shape}).")
    if n_features is not None and n_cols != n_features:
        raise ValueError(f"{name} has {n_cols} features, but the model was fitted with "
                         f"{n_features} features.")
    data, indices, indptr = np.asarray(X.data), np.asarray(X.indices), np.asarray(X.indptr)
    if data.ndim != 1 or indices.ndim != 1 or indptr.ndim != 1:
        raise ValueError(f"{name} (CSR): data, indices and indptr must be 1-D arrays.")
    if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu":
        raise ValueError(f"{name} (CSR): indices and indptr must hold integers, got "
                         f"{indices.dtype} and {indptr.dtype}.")
    # --- indptr
    if indptr.shape[0] != n_samples + 1:
        raise ValueError(f"{name} (CSR): indptr has length {indptr.shape[0]}, expected "
                         f"n_samples + 1 = {n_samples + 1}.")
    if indptr[0] != 0:
        raise ValueError(f"{name} (CSR): indptr[0] must be 0, got {indptr[0]}.")
    steps = np.diff(indptr.astype(np.int64))
    if (steps < 0).any():
        row = int(np.argmax(steps < 0))
        raise ValueError(f"{name} (CSR): indptr decreases at row {row} "
                         f"(indptr[{row}]={indptr[row]} > indptr[{row + 1}]="
                         f"{indptr[row + 1]}).")
    nnz = int(indptr[-1])
    if nnz > indices.shape[0] or nnz > data.shape[0]:
        raise ValueError(f"{name} (CSR): indptr[-1]={nnz} but only {indices.shape[0]} "
                         f"indices and {data.shape[0]} values are stored.")
    # --- column indices: one compiled pass, no temporaries
    if indices.dtype not in (np.int32, np.int64):
        indices = indices.astype(np.int64)
    if indptr.dtype != indices.dtype:
        if indices.dtype == np.int32 and nnz > np.iinfo(np.int32).max:
            indices = indices.astype(np.int64)
        indptr = indptr.astype(indices.dtype)
    indices = np.ascontiguousarray(indices if indices.shape[0] == nnz else indices[:nnz])
    indptr = np.ascontiguousarray(indptr)
    from ._linear import csr_first_bad_index
    kind, pos = csr_first_bad_index(indices, indptr, n_cols)
    if kind:
        row, col = _row_of(indptr, pos), indices[pos]
        if kind == 1:
            raise ValueError(f"{name} (CSR): negative column index {col} in row {row}.")
        if kind == 2:
            raise ValueError(f"{name} (CSR): column index {col} in row {row} is out of range "
                             f"for {n_cols} features.")
        if canonicalize:
            X = X.copy()
            X.sum_duplicates()
            return check_csr(X, name=name, dtype=dtype, n_features=n_features)
        what = "duplicate" if kind == 4 else "unsorted"
        raise ValueError(
            f"{name} (CSR): {what} column indices in row {row} (column {indices[pos - 1]} "
            f"then {col}). Canonicalize first with X.sum_duplicates() (which also sorts) "
            f"or X.sort_indices().")
    # --- values
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {data.dtype}.")
    if dtype is None:
        dtype = data.dtype if data.dtype in (np.float32, np.float64) else np.float64
    dtype = np.dtype(dtype)
    if nnz and not all_finite(data[:nnz]):
        pos = int(np.argmax(~np.isfinite(data[:nnz])))
        raise ValueError(f"{name} contains NaN or infinity (row {_row_of(indptr, pos)}, "
                         f"column {indices[pos]}); clean or impute the data first.")
    # --- the arrays the kernel reads
    new = (np.ascontiguousarray(data if data.shape[0] == nnz else data[:nnz], dtype=dtype),
           indices, indptr)
    if all(a is b for a, b in zip(new, (X.data, X.indices, X.indptr))):
        return X
    # set the arrays directly: the constructor could change the index dtype
    out = type(X)(X.shape, dtype=dtype)
    out.data, out.indices, out.indptr = new
    return out


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
