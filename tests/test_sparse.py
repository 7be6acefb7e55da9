"""CSR input: the sparse kernel against the dense one on the same data (whole trajectories,
objective history, averages), index dtypes and formats, block boundaries, threads, and the
validation of malformed CSR matrices."""
import numpy as np
import pytest
import scipy.sparse as sp

import fastsgd.trainer as trainer_module
from fastsgd import DivergenceError, LinearTrainer
from fastsgd._validation import check_csr, check_features
from fastsgd.losses import CLASSIFICATION_LOSSES, REGRESSION_LOSSES

N = 150
D = 40
BATCH_SIZES = [1, 7, 64, N]
PENALTIES = ["l2", "l1", "elasticnet", None]
EPOCHS = 3
SEED = 11


def sparsify(X, density, seed):
    """Zero most entries (and one whole row): a sparse matrix with the same values."""
    rng = np.random.default_rng(seed)
    X = X * (rng.random(X.shape) < density)
    X[5] = 0.0
    return X


def make_data(kind, dtype=np.float64, n_classes=2, n=N, d=D, density=0.15, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "regression":
        X = sparsify(rng.normal(size=(n, d)), density, seed)
        y = X @ rng.normal(size=d) + 0.3 * rng.normal(size=n) + 0.5
    else:
        centers = 1.5 * rng.normal(size=(n_classes, d))
        y = np.arange(n) % n_classes
        rng.shuffle(y)
        X = sparsify(centers[y] + rng.normal(size=(n, d)), density, seed)
        y = y.astype(np.float64)
    X = X.astype(dtype)
    return X, sp.csr_array(X), y


def fit_pair(Xd, Xs, y, **params):
    """The same trainer on dense and CSR input; returns both and their epoch trajectories."""
    out = []
    for X in (Xd, Xs):
        seen = []
        defaults = dict(alpha=5e-3, l1_ratio=0.5, learning_rate="invscaling", eta0=0.05,
                        power_t=0.3, max_iter=EPOCHS, tol=None, random_state=SEED, n_jobs=1)
        defaults.update(params)
        defaults["callbacks"] = [lambda info, seen=seen: seen.append(
            (info.trainer.coef_.copy(), info.trainer.intercept_.copy(), info.objective))]
        sw = defaults.pop("sample_weight", None)
        loss = defaults.pop("loss")
        tr = LinearTrainer(loss, **defaults).fit(X, y, sample_weight=sw)
        out.append((tr, seen))
    return out


def assert_same(pair, dtype):
    (td, sd), (ts, ss) = pair
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (2e-4, 2e-5)
    assert ts.coef_.dtype == dtype and ts.intercept_.dtype == dtype
    assert len(sd) == len(ss)
    for (cd, bd, od), (cs, bs, os_) in zip(sd, ss):
        np.testing.assert_allclose(cs, cd, rtol=rtol, atol=atol)
        np.testing.assert_allclose(bs, bd, rtol=rtol, atol=atol)
        np.testing.assert_allclose(os_, od, rtol=max(rtol, 1e-9))
    np.testing.assert_allclose(ts.avg_coef_, td.avg_coef_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(ts.avg_intercept_, td.avg_intercept_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(ts._l1_applied, td._l1_applied, rtol=rtol, atol=atol)
    assert ts.n_updates_ == td.n_updates_ and ts.samples_seen_ == td.samples_seen_
    assert ts.t_ == td.t_ and np.array_equal(ts._counters, td._counters) or \
        np.allclose(ts._counters, td._counters, rtol=1e-12)


def weights(n, on):
    return np.random.default_rng(3).uniform(0.2, 2.0, size=n) if on else None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("loss", list(REGRESSION_LOSSES))
@pytest.mark.parametrize("penalty", PENALTIES)
def test_regression_matches_dense(dtype, batch_size, loss, penalty):
    Xd, Xs, y = make_data("regression", dtype, seed=1)
    for fit_intercept, weighted in [(True, False), (False, True)]:
        pair = fit_pair(Xd, Xs, y, loss=loss, penalty=penalty, batch_size=batch_size,
                        fit_intercept=fit_intercept, sample_weight=weights(N, weighted))
        assert_same(pair, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("loss", list(CLASSIFICATION_LOSSES))
@pytest.mark.parametrize("penalty", PENALTIES)
def test_binary_matches_dense(dtype, batch_size, loss, penalty):
    Xd, Xs, y = make_data("classification", dtype, seed=2)
    for fit_intercept, weighted in [(True, True), (False, False)]:
        pair = fit_pair(Xd, Xs, y, loss=loss, penalty=penalty, batch_size=batch_size,
                        fit_intercept=fit_intercept, sample_weight=weights(N, weighted))
        assert_same(pair, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", BATCH_SIZES)
@pytest.mark.parametrize("multi_class,loss", [("multinomial", "log_loss"), ("ovr", "log_loss"),
                                              ("ovr", "hinge"), ("ovr", "modified_huber")])
@pytest.mark.parametrize("penalty", PENALTIES)
def test_multiclass_matches_dense(dtype, batch_size, multi_class, loss, penalty):
    Xd, Xs, y = make_data("classification", dtype, n_classes=4, seed=3)
    pair = fit_pair(Xd, Xs, y, loss=loss, penalty=penalty, batch_size=batch_size,
                    multi_class=multi_class, sample_weight=weights(N, True))
    assert_same(pair, dtype)


@pytest.mark.parametrize("schedule", ["constant", "optimal", "invscaling"])
@pytest.mark.parametrize("average", [True, 10])
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_averaging_matches_dense(schedule, average, penalty, batch_size):
    Xd, Xs, y = make_data("classification", seed=4)
    pair = fit_pair(Xd, Xs, y, loss="log_loss", penalty=penalty, batch_size=batch_size,
                    learning_rate=schedule, eta0=0.1, average=average)
    assert_same(pair, np.float64)
    np.testing.assert_allclose(pair[1][0].effective_params()[0],
                               pair[0][0].effective_params()[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("eta0", [0.5, 1.0, 2.0])
def test_decay_rescale_and_zero_scale(average, eta0):
    """eta * alpha = 0.5 drives the scale factor below 1e-9 (rescale); 1 and 2 make the
    decay factor 0 (weights reset to the gradient step)."""
    Xd, Xs, y = make_data("regression", seed=5)
    pair = fit_pair(Xd, Xs, y, loss="squared_error", penalty="l2", alpha=1.0,
                    learning_rate="constant", eta0=eta0, batch_size=3, average=average)
    assert_same(pair, np.float64)


def test_l1_gives_exact_zeros_and_lazy_mode_is_used():
    from fastsgd import _linear
    assert _linear.csr_update_mode(0.0, 1e-3, 0.0) == 1
    assert _linear.csr_update_mode(1e-3, 0.0, 1.0) == 0
    assert _linear.csr_update_mode(1e-3, 1e-3, 0.0) == 2
    Xd, Xs, y = make_data("classification", seed=6)
    pair = fit_pair(Xd, Xs, y, loss="hinge", penalty="l1", alpha=2e-2, batch_size=1)
    coef = pair[1][0].coef_
    assert 0 < (coef == 0).sum() < coef.size
    assert_same(pair, np.float64)


@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("average", [False, 5])
def test_many_kernel_blocks(monkeypatch, penalty, average):
    """Tiny blocks: the state handed back between kernel calls (scale folded in, L1 caught
    up and settled, averages materialized) must continue exactly."""
    monkeypatch.setattr(trainer_module, "BLOCK_WORK", 1)
    Xd, Xs, y = make_data("classification", n_classes=3, seed=7)
    pair = fit_pair(Xd, Xs, y, loss="log_loss", penalty=penalty, batch_size=4, average=average)
    assert_same(pair, np.float64)


def test_threads_do_not_change_results():
    Xd, Xs, y = make_data("classification", n=4000, d=1000, density=0.15, seed=8)
    coefs = []
    for n_jobs in (1, 2):
        tr = LinearTrainer("log_loss", batch_size=4000, max_iter=3, tol=None, random_state=0,
                           n_jobs=n_jobs, eta0=0.1).fit(Xs, y)
        coefs.append(tr.coef_.copy())
    assert np.array_equal(coefs[0], coefs[1])


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("kind", [sp.csr_array, sp.csr_matrix])
def test_index_dtypes_and_classes(index_dtype, kind):
    Xd, Xs, y = make_data("classification", seed=9)
    X = kind(Xs)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    checked = check_features(X)
    assert checked.indices.dtype == index_dtype
    assert np.shares_memory(checked.indices, X.indices)   # no copy of the indices
    a = LinearTrainer("hinge", batch_size=7, max_iter=2, tol=None, random_state=0).fit(X, y)
    b = LinearTrainer("hinge", batch_size=7, max_iter=2, tol=None, random_state=0).fit(Xd, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.decision_function(X), b.decision_function(Xd), rtol=1e-10)


def test_mixed_indptr_dtype_and_other_formats():
    Xd, Xs, y = make_data("regression", seed=10)
    X = sp.csr_array(Xs)
    X.indices = X.indices.astype(np.int64)      # indptr stays int32
    assert check_csr(X).indptr.dtype == np.int64
    for other in (sp.coo_array(Xd), sp.csc_matrix(Xd), sp.lil_array(Xd)):
        converted = check_csr(other)
        assert converted.format == "csr"
        np.testing.assert_array_equal(converted.toarray(), Xd)
    # COO duplicates are summed by the one conversion
    coo = sp.coo_array(([1.0, 2.0], ([0, 0], [1, 1])), shape=(2, 3))
    assert check_csr(coo)[0, 1] == 3.0


def test_integer_values_become_float64_and_dtype_is_kept():
    Xd, Xs, y = make_data("regression", seed=11)
    Xi = sp.csr_array(np.round(Xd * 3).astype(np.int64))
    assert check_csr(Xi).dtype == np.float64
    Xf = sp.csr_array(Xd.astype(np.float32))
    tr = LinearTrainer(max_iter=1, tol=None, random_state=0).fit(Xf, y)
    assert tr.coef_.dtype == np.float32
    # partial_fit continues with the fitted dtype, dense and sparse batches mixed
    tr.partial_fit(Xs, y)
    tr.partial_fit(Xd, y)
    assert tr.coef_.dtype == np.float32


def test_partial_fit_and_warm_start_match_dense():
    Xd, Xs, y = make_data("classification", n_classes=3, seed=12)
    ts = LinearTrainer("log_loss", penalty="l1", alpha=1e-3, batch_size=5, random_state=1)
    td = LinearTrainer("log_loss", penalty="l1", alpha=1e-3, batch_size=5, random_state=1)
    for _ in range(3):
        ts.partial_fit(Xs, y, n_classes=3)
        td.partial_fit(Xd, y, n_classes=3)
    np.testing.assert_allclose(ts.coef_, td.coef_, rtol=1e-10, atol=1e-12)
    ts.set_params = None
    ts.max_iter = td.max_iter = 2
    ts.tol = td.tol = None
    ts.fit(Xs, y, warm_start=True)
    td.fit(Xd, y, warm_start=True)
    np.testing.assert_allclose(ts.coef_, td.coef_, rtol=1e-10, atol=1e-12)


def test_divergence_keeps_finite_weights():
    Xd, Xs, y = make_data("regression", seed=13)
    Xs = Xs * 1e150
    tr = LinearTrainer("squared_error", learning_rate="constant", eta0=1.0, batch_size=7,
                       max_iter=5, tol=None, random_state=0)
    with pytest.raises(DivergenceError, match="diverged"):
        tr.fit(Xs, y)
    assert np.isfinite(tr.coef_).all()


# ---------------------------------------------------------------- validation
def good():
    return sp.csr_array(np.array([[1.0, 0, 2.0, 0], [0, 0, 0, 0], [0, 3.0, 0, 4.0]]))


def broken(**arrays):
    X = good()
    for name, value in arrays.items():
        setattr(X, name, np.asarray(value))
    return X


@pytest.mark.parametrize("X,match", [
    (broken(indices=np.array([0, 4, 1, 3])), r"column index 4 in row 0 is out of range"),
    (broken(indices=np.array([0, 2, -1, 3])), r"negative column index -1 in row 2"),
    (broken(indices=np.array([0, 2, 3, 1])), r"unsorted column indices in row 2"),
    (broken(indices=np.array([0, 2, 3, 3])), r"duplicate column indices in row 2"),
    (broken(indptr=np.array([0, 2, 2])), r"indptr has length 3, expected n_samples \+ 1 = 4"),
    (broken(indptr=np.array([1, 2, 2, 4])), r"indptr\[0\] must be 0"),
    (broken(indptr=np.array([0, 3, 2, 4])), r"indptr decreases at row 1"),
    (broken(indptr=np.array([0, 2, 2, 9])), r"indptr\[-1\]=9 but only 4 indices"),
    (broken(data=np.array([1.0, np.nan, 3.0, 4.0])), r"NaN or infinity \(row 0, column 2\)"),
    (broken(data=np.array([1.0, 2.0, 3.0, np.inf])), r"NaN or infinity \(row 2, column 3\)"),
    (sp.csr_array((0, 4)), r"0 samples"),
    (sp.csr_array((3, 0)), r"0 features"),
])
def test_malformed_csr_is_refused_before_the_kernel(X, match):
    with pytest.raises(ValueError, match=match):
        check_features(X)
    with pytest.raises(ValueError, match=match):
        LinearTrainer(max_iter=1).fit(X, np.zeros(X.shape[0]))


def test_unsorted_row_after_valid_rows_and_row_boundaries_are_not_errors():
    # the step from one row's last index to the next row's first may go down: valid
    X = sp.csr_array(np.array([[0, 0, 0, 5.0], [1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    check_csr(X)
    X.indices = np.array([3, 0, 1], dtype=X.indices.dtype)
    check_csr(X)


def test_feature_count_and_complex_values():
    X = good()
    tr = LinearTrainer(max_iter=1, tol=None).fit(X, np.arange(3.0))
    with pytest.raises(ValueError, match="has 5 features, but the model was fitted with 4"):
        tr.partial_fit(sp.csr_array((3, 5)), np.zeros(3))
    with pytest.raises(TypeError, match="real numbers"):
        check_csr(sp.csr_array(np.array([[1j, 0]])))


@pytest.mark.parametrize("optimizer", [
    "sgd_momentum", "adagrad", "rmsprop", "adam", "adamw", "clip_norm", "clip_value"])
@pytest.mark.parametrize("batch_size", [1, 7, 64])
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_stateful_optimizers_match_dense(optimizer, batch_size, penalty):
    """Stateful optimizers and clipping run the dense-update path on CSR: same trajectory."""
    from fastsgd.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
    make = {"sgd_momentum": lambda: SGD(momentum=0.9, nesterov=True),
            "adagrad": Adagrad, "rmsprop": lambda: RMSprop(momentum=0.5),
            "adam": Adam, "adamw": lambda: AdamW(weight_decay=0.05),
            "clip_norm": lambda: Adam(clip_norm=0.5),
            "clip_value": lambda: SGD(clip_value=0.1)}[optimizer]
    rng = np.random.default_rng(4)
    dense = rng.normal(size=(90, 30)) * (rng.random((90, 30)) < 0.2)
    y = (dense @ rng.normal(size=30) > 0).astype(float)
    fits = []
    for X in (dense, sp.csr_array(dense)):
        tr = LinearTrainer("log_loss", optimizer=make(), penalty=penalty, alpha=1e-3,
                           batch_size=batch_size, max_iter=3, tol=None, random_state=0,
                           learning_rate="constant", eta0=0.05)
        fits.append(tr.fit(X, y))
    np.testing.assert_allclose(fits[1].coef_, fits[0].coef_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fits[1].intercept_, fits[0].intercept_, rtol=1e-10)
    np.testing.assert_allclose(fits[1].history_["objective"], fits[0].history_["objective"],
                               rtol=1e-10)
    sparse_state, dense_state = fits[1].optimizer_state_, fits[0].optimizer_state_
    assert sparse_state["step"] == dense_state["step"]
    np.testing.assert_allclose(sparse_state["coef"], dense_state["coef"], rtol=1e-10,
                               atol=1e-13)


def test_estimators_canonicalize_unsorted_and_duplicate_csr():
    """TfidfVectorizer emits unsorted indices: the estimators accept them (a sorted copy,
    duplicates summed as scipy means them) and learn what the dense matrix gives."""
    from fastsgd import SGDClassifier
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(40, 6)) * (rng.random((40, 6)) < 0.5)
    y = (dense[:, 0] > 0).astype(int)
    canonical = sp.csr_matrix(dense)
    data, indices, indptr = [], [], [0]
    for i in range(40):  # reverse each row and split every value into two duplicates
        lo, hi = canonical.indptr[i], canonical.indptr[i + 1]
        for v, j in zip(canonical.data[lo:hi][::-1], canonical.indices[lo:hi][::-1]):
            data += [v / 2, v / 2]
            indices += [j, j]
        indptr.append(len(data))
    messy = sp.csr_matrix((np.array(data), np.array(indices), np.array(indptr)), shape=(40, 6))
    assert not messy.has_sorted_indices
    with pytest.raises(ValueError, match="(unsorted|duplicate) column indices"):
        LinearTrainer("log_loss").fit(messy, y)
    params = dict(batch_size=4, max_iter=3, tol=None, random_state=0)
    a = SGDClassifier(**params).fit(messy, y)
    b = SGDClassifier(**params).fit(dense, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-14)
    assert not messy.has_sorted_indices  # the user's matrix is left as it was
