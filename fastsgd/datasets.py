"""Loading data for fastsgd: LIBSVM / svmlight files as CSR matrices."""
import numpy as np
import scipy.sparse as sp

from ._validation import check_csr

__all__ = ["load_svmlight"]


def load_svmlight(path, n_features=None, *, dtype=np.float64, zero_based="auto",
                  query_id=False, sparse_array=True):
    """Read a LIBSVM / svmlight file (``label idx:value ...``) into (X, y).

    A thin wrapper of :func:`sklearn.datasets.load_svmlight_file` that returns what fastsgd's
    sparse kernel takes without any further copy: a validated CSR (``scipy.sparse.csr_array``,
    or ``csr_matrix`` with ``sparse_array=False``) in `dtype` (float32 or float64), with the
    index dtype the loader produced (int64 in recent SciPy/scikit-learn, which fastsgd
    accepts as it is; scikit-learn's own SGD wants int32). y is float64.

    Pass `n_features` for a train/test pair so that both have the same width (e.g. 123 for
    a9a: the test file never uses feature 123).
    """
    from sklearn.datasets import load_svmlight_file

    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    out = load_svmlight_file(str(path), n_features=n_features, dtype=dtype,
                             zero_based=zero_based, query_id=query_id)
    X = out[0]
    if sparse_array and not isinstance(X, sp.sparray):
        X = sp.csr_array((X.data, X.indices, X.indptr), shape=X.shape, copy=False)
        if X.indices.dtype != out[0].indices.dtype:   # keep the loader's index arrays
            X.indices, X.indptr = out[0].indices, out[0].indptr
    X = check_csr(X, dtype=dtype)
    return (X, np.asarray(out[1], dtype=np.float64)) + tuple(out[2:])
