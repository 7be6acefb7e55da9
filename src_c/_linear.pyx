# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Mini-batch SGD kernel for linear models on dense data.

What it computes: for each batch of a given sample order, the scores z = X_b W^T + b of a
model with K outputs, the loss derivatives dL/dz, the batch gradient

    G = (1 / rows) * sum_i  sample_weight_i * dL/dz_i  x_i^T

(rows = the batch's row count, so batch_size = 1 is scikit-learn's per-sample rule), and the
update, the cumulative L1 truncation of Tsuruoka et al. (2009), and the ASGD running average
(Polyak and Juditsky 1992). Many batches run per call, without the GIL.

The update is plain SGD with an L2 scale (scikit-learn's rule, w <- max(0, 1 - eta l2) w - eta G)
or a stateful optimizer of `_optim.pxd` (momentum/Nesterov, Adagrad, RMSprop, Adam, AdamW) on
the gradient G + l2 w, after optional clipping of G by value and by global norm (as
torch.nn.utils.clip_grad_value_ / clip_grad_norm_, over the weights and the intercept). The
learning rate comes from `learning_rate_at` (_common.pxd) in closed form.

Threading: the rows of a batch are cut into chunks whose partial gradients are computed in
parallel (OpenMP) and summed in chunk order; the update is parallel over parameters.

Determinism: the number of chunks depends on the batch's row count alone, never on the
thread count, and the update is element-wise per parameter block; the only global reduction
of the update (the gradient norm for clipping) is summed over fixed parameter blocks in block
order. Results are bit-identical for any `n_threads`.
"""
from cython.parallel cimport prange
from libc.math cimport pow, fabs, isfinite
from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memset, memcpy
from cython cimport floating
from scipy.linalg.cython_blas cimport dgemm, sgemm

import numpy as np

from _common cimport Settings, learning_rate_at, sample_loss
from _optim cimport (Optim, OptStep, PLAIN_SGD, optim_slots, optim_scalars, optim_update,
                     clip_grad, clip_norm_coef)

cdef extern from "fastsgd_core.h" nogil:
    int FSGD_OPENMP
    int omp_get_max_threads()
    int omp_get_thread_num()
    double fsgd_dot_d(const double* x, const double* w, Py_ssize_t n)
    double fsgd_dot_f(const float* x, const float* w, Py_ssize_t n)
    void fsgd_axpy_d(double a, const double* x, double* g, Py_ssize_t n)
    void fsgd_axpy_f(double a, const float* x, double* g, Py_ssize_t n)
    void fsgd_dot4_d(const double* x, const double* w, Py_ssize_t ld, Py_ssize_t n, double* out)
    void fsgd_dot4_f(const float* x, const float* w, Py_ssize_t ld, Py_ssize_t n, double* out)
    void fsgd_axpy4_d(const double* c, const double* x, double* g, Py_ssize_t ld, Py_ssize_t n)
    void fsgd_axpy4_f(const double* c, const float* x, double* g, Py_ssize_t ld, Py_ssize_t n)
    double fsgd_scale_axpy_d(double s, double a, const double* x, double* w, Py_ssize_t n)
    double fsgd_scale_axpy_f(double s, double a, const float* x, float* w, Py_ssize_t n)
    void fsgd_prefetch(const void* p, Py_ssize_t nbytes)

# Status codes returned in result[0]; fastsgd/trainer.py turns them into exceptions.
cpdef enum Status:
    OK = 0
    NONFINITE = 1
    NO_MEMORY = 2

cdef enum:
    CHUNK_ROWS = 16          # rows per partial gradient (the unit of parallel work)
    MAX_CHUNKS = 64          # caps scratch memory at MAX_CHUNKS partial gradients
    UPDATE_BLOCK = 1024      # parameters per parallel update task
    MIN_PARALLEL_WORK = 131072  # rows * parameters below which one thread is faster (bench)
    GEMM_ROWS = 64           # rows gathered per GEMM: the block stays in L2


def openmp_enabled():
    """True when the kernels were compiled with OpenMP."""
    return bool(FSGD_OPENMP)


def openmp_max_threads():
    """OpenMP's default thread count (1 without OpenMP)."""
    return omp_get_max_threads()


def sample_loss_values(int loss, int mode, const double[:, ::1] scores, const double[::1] y,
                       double epsilon=0.1):
    """Per-sample loss and dL/dz as the kernels compute them (for tests and tools).

    mode: 0 single output, 1 one-vs-rest columns, 2 multinomial. Returns (loss (n,), dz (n, K)).
    """
    cdef Settings st
    cdef Py_ssize_t i, k, n = scores.shape[0], n_out = scores.shape[1]
    memset(&st, 0, sizeof(Settings))
    st.loss = loss
    st.ovr = mode == 1
    st.multinomial = mode == 2
    st.epsilon = epsilon
    out = np.empty(n)
    dz = np.array(scores, dtype=np.float64, copy=True)
    cdef double[::1] out_v = out
    cdef double[:, ::1] dz_v = dz
    with nogil:
        for i in range(n):
            out_v[i] = sample_loss(&st, &dz_v[i, 0], y[i], n_out)
    return out, dz


cdef inline Py_ssize_t chunks_for(Py_ssize_t rows, Py_ssize_t n_out) noexcept nogil:
    """Chunks of a batch: fixed by its row count and the model, never by the thread count.
    Many outputs take longer chunks, since each chunk's gradient buffer is n_out rows long."""
    cdef Py_ssize_t chunk_rows = CHUNK_ROWS if n_out == 1 else 4 * CHUNK_ROWS
    cdef Py_ssize_t c = (rows + chunk_rows - 1) // chunk_rows
    return c if c < MAX_CHUNKS else MAX_CHUNKS


cdef inline double row_dot(const floating* x, const floating* w, Py_ssize_t n) noexcept nogil:
    if floating is double:
        return fsgd_dot_d(x, w, n)
    else:
        return fsgd_dot_f(x, w, n)


cdef inline bint row_scores(const floating* x, const floating* coef, const floating* intercept,
                            Py_ssize_t n_out, Py_ssize_t n_features, double* z) noexcept nogil:
    """z = W x + b, four outputs per pass over x; False if a score is not finite."""
    cdef Py_ssize_t k = 0
    cdef bint finite = True
    while k + 4 <= n_out:
        if floating is double:
            fsgd_dot4_d(x, coef + k * n_features, n_features, n_features, z + k)
        else:
            fsgd_dot4_f(x, coef + k * n_features, n_features, n_features, z + k)
        k += 4
    while k < n_out:
        z[k] = row_dot(x, coef + k * n_features, n_features)
        k += 1
    for k in range(n_out):
        z[k] += intercept[k]
        finite = finite and isfinite(z[k])
    return finite


cdef inline void row_gradient(const floating* x, const double* c, Py_ssize_t n_out,
                              Py_ssize_t n_features, double* grad) noexcept nogil:
    """grad[k] += c[k] * x for every output k, four outputs per pass over x."""
    cdef Py_ssize_t k = 0
    while k + 4 <= n_out:
        if floating is double:
            fsgd_axpy4_d(c + k, x, grad + k * n_features, n_features, n_features)
        else:
            fsgd_axpy4_f(c + k, x, grad + k * n_features, n_features, n_features)
        k += 4
    while k < n_out:
        if c[k] != 0.0:
            if floating is double:
                fsgd_axpy_d(c[k], x, grad + k * n_features, n_features)
            else:
                fsgd_axpy_f(c[k], x, grad + k * n_features, n_features)
        k += 1


cdef void chunk_gradient(const floating* X, const double* y, const double* sw,
                         const Py_ssize_t* rows, Py_ssize_t n_rows,
                         const floating* coef, const floating* intercept,
                         Py_ssize_t n_out, Py_ssize_t n_features, const Settings* st,
                         double* grad,          # OUT (n_out, n_features) sum of w_i dz_i x_i
                         double* grad_b,        # OUT (n_out,)
                         double* z,             # scratch (n_out,)
                         double* sums           # OUT [sum w*loss, sum w, any non-finite]
                         ) noexcept nogil:
    """Fused pass over a chunk of rows: scores, loss derivatives and the partial gradient,
    reading each row once while it is in L1."""
    cdef Py_ssize_t r, i, k
    cdef const floating* x
    cdef double wi
    memset(grad, 0, n_out * n_features * sizeof(double))
    memset(grad_b, 0, n_out * sizeof(double))
    sums[0] = 0.0
    sums[1] = 0.0
    sums[2] = 0.0
    for r in range(n_rows):
        i = rows[r]
        x = X + i * n_features
        if r + 1 < n_rows:
            fsgd_prefetch(X + rows[r + 1] * n_features, n_features * sizeof(floating))
        if not row_scores(x, coef, intercept, n_out, n_features, z):
            sums[2] = 1.0
            return
        wi = sw[i]
        sums[0] += wi * sample_loss(st, z, y[i], n_out)
        sums[1] += wi
        for k in range(n_out):
            z[k] *= wi
            grad_b[k] += z[k]
        row_gradient(x, z, n_out, n_features, grad)


cdef inline void gemm_rowmajor(bint trans_a, bint trans_b, int m, int n, int k,
                               floating* a, int lda, floating* b, int ldb, floating beta,
                               floating* c, int ldc) noexcept nogil:
    """C (m x n) = op(A) op(B) + beta C on row-major arrays, through column-major BLAS
    (C^T = op(B)^T op(A)^T)."""
    cdef floating one = 1.0
    cdef char* ta = "T" if trans_a else "N"
    cdef char* tb = "T" if trans_b else "N"
    if floating is double:
        dgemm(tb, ta, &n, &m, &k, &one, b, &ldb, a, &lda, &beta, c, &ldc)
    else:
        sgemm(tb, ta, &n, &m, &k, &one, b, &ldb, a, &lda, &beta, c, &ldc)


cdef void chunk_gradient_gemm(const floating* X, const double* y, const double* sw,
                              const Py_ssize_t* rows, Py_ssize_t n_rows,
                              const floating* coef, const floating* intercept,
                              Py_ssize_t n_out, Py_ssize_t n_features, const Settings* st,
                              double* grad,      # OUT (n_out, n_features)
                              double* grad_b,    # OUT (n_out,)
                              double* z,         # scratch (n_out,)
                              double* sums,      # OUT [sum w*loss, sum w, any non-finite]
                              floating* xbuf,    # scratch (GEMM_ROWS, n_features)
                              floating* dbuf,    # scratch (GEMM_ROWS, n_out)
                              floating* gbuf     # scratch (n_out, n_features), float32 only
                              ) noexcept nogil:
    """The same partial gradient as `chunk_gradient`, for many outputs: gather up to
    GEMM_ROWS rows, Z = X_b W^T and G += D^T X_b by GEMM, the loss row by row between."""
    cdef Py_ssize_t r0, r, i, k, j, nb
    cdef floating zero = 0.0
    cdef double wi
    memset(grad, 0, n_out * n_features * sizeof(double))
    memset(grad_b, 0, n_out * sizeof(double))
    sums[0] = 0.0
    sums[1] = 0.0
    sums[2] = 0.0
    r0 = 0
    while r0 < n_rows:
        nb = min(<Py_ssize_t> GEMM_ROWS, n_rows - r0)
        for r in range(nb):
            memcpy(xbuf + r * n_features, X + rows[r0 + r] * n_features,
                   n_features * sizeof(floating))
        gemm_rowmajor(False, True, nb, n_out, n_features, xbuf, n_features,
                      <floating*> coef, n_features, zero, dbuf, n_out)
        for r in range(nb):
            i = rows[r0 + r]
            for k in range(n_out):
                z[k] = dbuf[r * n_out + k] + intercept[k]
                if not isfinite(z[k]):
                    sums[2] = 1.0
                    return
            wi = sw[i]
            sums[0] += wi * sample_loss(st, z, y[i], n_out)
            sums[1] += wi
            for k in range(n_out):
                dbuf[r * n_out + k] = <floating> (wi * z[k])
                grad_b[k] += wi * z[k]
        if floating is double:
            gemm_rowmajor(True, False, n_out, n_features, nb, dbuf, n_out, xbuf, n_features,
                          1.0, grad, n_features)
        else:
            gemm_rowmajor(True, False, n_out, n_features, nb, dbuf, n_out, xbuf, n_features,
                          zero, gbuf, n_features)
            for j in range(n_out * n_features):
                grad[j] += gbuf[j]
        r0 += nb


cdef void reduce_block(double* partial, Py_ssize_t n_chunks, Py_ssize_t n_params,
                       Py_ssize_t p0, Py_ssize_t p1, double inv_rows, double clip_value,
                       double* sum_sq           # OUT sum of the squared clipped mean gradient
                       ) noexcept nogil:
    """Sum the chunk gradients of parameters [p0, p1) in chunk order into chunk 0's slot
    (the same order as update_block), for global-norm clipping."""
    cdef Py_ssize_t c, j
    cdef double gj, sq = 0.0
    for c in range(1, n_chunks):
        for j in range(p0, p1):
            partial[j] += partial[c * n_params + j]
    for j in range(p0, p1):
        gj = clip_grad(inv_rows * partial[j], clip_value)
        sq += gj * gj
    sum_sq[0] = sq


cdef void update_block(floating* w, floating* avg, double* q,
                       double* state,           # IN/OUT optimizer state, slot stride n_params
                       const double* partial, Py_ssize_t n_chunks, Py_ssize_t n_params,
                       Py_ssize_t p0, Py_ssize_t p1, double inv_rows, double clip_coef,
                       double eta, double scale, double avg_weight, double u,
                       const Settings* st, const OptStep* ks,
                       double* norms            # OUT [sum w^2, sum |w|] of the new weights
                       ) noexcept nogil:
    """Reduce the chunk gradients for parameters [p0, p1) in chunk order, clip the mean
    gradient, apply the update (plain: w <- scale * w - eta * g; else `optim_update`),
    the ASGD average and the cumulative L1 truncation."""
    cdef double g[UPDATE_BLOCK]
    cdef Py_ssize_t c, j, n = p1 - p0
    cdef double v, gj, before, sq = 0.0, ab = 0.0
    cdef bint plain = st.optim.code == PLAIN_SGD
    cdef bint clipping = st.optim.clip_value > 0.0 or st.optim.clip_norm > 0.0
    memcpy(g, partial + p0, n * sizeof(double))
    for c in range(1, n_chunks):
        for j in range(n):
            g[j] += partial[c * n_params + p0 + j]
    for j in range(n):
        if plain and not clipping:
            v = scale * w[p0 + j] - eta * inv_rows * g[j]
        else:
            gj = clip_grad(inv_rows * g[j], st.optim.clip_value) * clip_coef
            if plain:
                v = scale * w[p0 + j] - eta * gj
            else:
                v = optim_update(&st.optim, ks, w[p0 + j], gj, state + p0 + j, n_params)
        if avg_weight > 0.0:
            avg[p0 + j] += (v - avg[p0 + j]) * avg_weight
        if st.l1_strength > 0.0:
            # clip towards zero by the L1 budget not yet applied to this weight
            before = v
            if v > 0.0:
                v = v - (u + q[p0 + j])
                if v < 0.0:
                    v = 0.0
            elif v < 0.0:
                v = v + (u - q[p0 + j])
                if v > 0.0:
                    v = 0.0
            q[p0 + j] += v - before
        w[p0 + j] = <floating> v
        sq += v * v
        ab += fabs(v)
    norms[0] = sq
    norms[1] = ab


cdef inline double intercept_step(double b, double gsum, Py_ssize_t k, Py_ssize_t n_out,
                                  double inv_rows, double eta, double clip_coef,
                                  const Settings* st, const OptStep* kb,
                                  double* sb) noexcept nogil:
    """The new intercept k from the batch's summed derivative `gsum`: plain SGD (never
    penalized) or the optimizer, after the same clipping as the weights."""
    cdef double g
    if st.optim.code == PLAIN_SGD and st.optim.clip_value <= 0.0 and st.optim.clip_norm <= 0.0:
        return b - eta * inv_rows * gsum * st.intercept_decay
    g = clip_grad(inv_rows * gsum, st.optim.clip_value) * clip_coef
    if st.optim.code == PLAIN_SGD:
        return b - eta * g * st.intercept_decay
    return optim_update(&st.optim, kb, b, g, sb + k, n_out)


cdef inline bint close_update(floating* intercept, floating* avg_intercept, Py_ssize_t n_out,
                              double avg_weight, double* counters, Py_ssize_t rows,
                              double opt_step, double sq) noexcept nogil:
    """What every update ends with: the intercept's ASGD average and the counters (updates,
    samples, optimizer steps). False when the weights stopped being finite."""
    cdef Py_ssize_t k
    if avg_weight > 0.0:
        for k in range(n_out):
            avg_intercept[k] += (intercept[k] - avg_intercept[k]) * avg_weight
    counters[2] += 1.0
    counters[3] += rows
    counters[4] = opt_step
    return isfinite(sq) and isfinite(intercept[0])


cdef inline double penalty_value(const Settings* st, double sq, double ab) noexcept nogil:
    """The penalty in the reported objective: alpha (0.5 (1 - l1_ratio) |w|^2 + l1_ratio |w|_1)."""
    return 0.5 * st.l2_strength * sq + st.l1_strength * ab


def train_dense_block(
    const floating[:, ::1] X,           # IN  (n_samples, n_features), C-contiguous
    const double[::1] y,                # IN  target, +-1 label or class index
    const double[::1] sample_weight,    # IN  (n_samples,)
    const Py_ssize_t[::1] order,        # IN  this epoch's sample order
    Py_ssize_t first_batch,             # IN  first batch of the epoch to run
    Py_ssize_t n_batches,               # IN  batches to run in this call
    floating[:, ::1] coef,              # IN/OUT (n_outputs, n_features)
    floating[::1] intercept,            # IN/OUT (n_outputs,)
    floating[:, ::1] avg_coef,          # IN/OUT ASGD averages, same shapes (unused if off)
    floating[::1] avg_intercept,        # IN/OUT
    double[:, ::1] l1_applied,          # IN/OUT L1 penalty applied per weight (q), if L1
    double[:, :, ::1] opt_coef,         # IN/OUT optimizer state (n_slots, n_outputs,
                                        #   n_features), float64; unused for plain SGD
    double[:, ::1] opt_intercept,       # IN/OUT optimizer state (n_slots, n_outputs)
    double[::1] counters,               # IN/OUT [t (schedule clock, updates + 1),
                                        #   u (L1 budget), updates run, samples seen,
                                        #   optimizer steps, schedule epoch clock]
    dict settings,
    double[::1] result,                 # OUT [status, batches done, sum w*loss,
                                        #      sum w*(loss + penalty), sum w, last eta]
):
    """Run `n_batches` consecutive batches of one epoch. Batch b holds the samples
    order[b * batch_size : (b + 1) * batch_size]."""
    cdef Settings st = settings
    cdef Py_ssize_t n_features = X.shape[1], n_out = coef.shape[0]
    cdef Py_ssize_t n_params = n_out * n_features, n_order = order.shape[0]
    cdef Py_ssize_t max_rows = min(st.batch_size, n_order)
    cdef Py_ssize_t max_chunks = chunks_for(max_rows, n_out)
    cdef Py_ssize_t n_ublocks = (n_params + UPDATE_BLOCK - 1) // UPDATE_BLOCK
    cdef Py_ssize_t b, c, k, j, start, rows, n_chunks, blk, i, done = 0
    cdef double t = counters[0], u = counters[1]
    cdef double eta, scale, inv_rows, avg_weight, step, gb, loss_b, weight_b, sq, ab
    cdef double loss_sum = 0.0, objective_sum = 0.0, weight_sum = 0.0
    cdef bint parallel, finite, use_l1 = st.l1_strength > 0.0
    cdef bint use_avg = st.average_start > 0.0
    cdef bint plain = st.optim.code == PLAIN_SGD
    cdef bint use_clip_norm = st.optim.clip_norm > 0.0
    cdef bint clipping = use_clip_norm or st.optim.clip_value > 0.0
    cdef bint fast_single = (max_rows == 1 and not use_l1 and not use_avg and plain
                             and not clipping)
    cdef Py_ssize_t n_slots = optim_slots(&st.optim), n_reduced
    cdef double opt_step = counters[4], gsq, clip_coef, gbk
    cdef OptStep kw, kb
    cdef double* so = NULL
    cdef double* sb = NULL
    cdef int status = OK
    cdef floating* w = &coef[0, 0]
    cdef floating* avg = &avg_coef[0, 0] if use_avg else NULL
    cdef floating* avg_ip = &avg_intercept[0] if use_avg else NULL
    cdef double* q = &l1_applied[0, 0] if use_l1 else NULL
    cdef double* partial = NULL
    cdef double* partial_b = NULL
    cdef double* z = NULL
    cdef double* sums = NULL
    cdef double* norms = NULL
    cdef const Py_ssize_t* rowp
    cdef floating* gemm_scratch = NULL
    cdef Py_ssize_t gemm_stride = 0
    cdef bint gemm_ok = True
    cdef int tid

    if n_slots > 0:
        if (opt_coef.shape[0] < n_slots or opt_coef.shape[1] != n_out
                or opt_coef.shape[2] != n_features or opt_intercept.shape[0] < n_slots
                or opt_intercept.shape[1] != n_out):
            raise ValueError(f"optimizer state of shape {tuple(opt_coef.shape)[:3]} and "
                             f"{tuple(opt_intercept.shape)[:2]} does not fit {n_slots} slots "
                             f"of ({n_out}, {n_features}) parameters")
        so = &opt_coef[0, 0, 0]
        sb = &opt_intercept[0, 0]
    if counters.shape[0] < 6 or result.shape[0] < 6:
        raise ValueError("counters and result must have 6 entries")
    memset(&kw, 0, sizeof(OptStep))
    memset(&kb, 0, sizeof(OptStep))

    partial = <double*> malloc(max_chunks * n_params * sizeof(double))
    partial_b = <double*> malloc(max_chunks * n_out * sizeof(double))
    z = <double*> malloc(max_chunks * n_out * sizeof(double))
    sums = <double*> malloc(max_chunks * 3 * sizeof(double))
    norms = <double*> malloc(n_ublocks * 2 * sizeof(double))
    if st.use_gemm and max_rows > 1:
        # per-thread gather, derivative and (float32) gradient blocks
        gemm_stride = GEMM_ROWS * (n_features + n_out) + n_params
        gemm_scratch = <floating*> malloc(max(1, st.n_threads) * gemm_stride * sizeof(floating))
        gemm_ok = gemm_scratch != NULL
    if not (partial and partial_b and z and sums and norms and gemm_ok):
        free(partial); free(partial_b); free(z); free(sums); free(norms); free(gemm_scratch)
        result[0] = <int> NO_MEMORY
        result[1] = 0
        return

    with nogil:
        # the penalty of the current weights, kept up to date by every update
        sq = 0.0
        ab = 0.0
        for j in range(n_params):
            sq += <double> w[j] * w[j]
            ab += fabs(w[j])
        for b in range(first_batch, first_batch + n_batches):
            start = b * st.batch_size
            rows = min(st.batch_size, n_order - start)
            rowp = &order[start]
            eta = learning_rate_at(&st, t)
            scale = 1.0 - eta * st.l2_strength
            if scale < 0.0:  # never flip signs when eta * alpha is too large
                scale = 0.0
            inv_rows = 1.0 / rows
            avg_weight = 1.0 / (t - st.average_start + 1.0) if (
                use_avg and t >= st.average_start) else 0.0
            loss_b = penalty_value(&st, sq, ab)
            opt_step += 1.0
            if not plain:
                optim_scalars(&st.optim, eta, st.l2_strength, st.optim.weight_decay, opt_step,
                              &kw)
                # the intercept: same optimizer, never penalized or decayed
                optim_scalars(&st.optim, eta * st.intercept_decay, 0.0, 0.0, opt_step, &kb)

            if fast_single and rows == 1:
                # one sample, one pass: scores, derivative, w <- scale * w - eta * g
                i = rowp[0]
                if not row_scores(&X[i, 0], w, &intercept[0], n_out, n_features, z):
                    status = NONFINITE
                    break
                weight_b = sample_weight[i]
                loss_sum += weight_b * sample_loss(&st, z, y[i], n_out)
                objective_sum += weight_b * loss_b
                sq = 0.0
                for k in range(n_out):
                    step = -eta * weight_b * z[k]
                    if floating is double:
                        sq += fsgd_scale_axpy_d(scale, step, &X[i, 0], w + k * n_features,
                                                n_features)
                    else:
                        sq += fsgd_scale_axpy_f(scale, step, &X[i, 0], w + k * n_features,
                                                n_features)
                    if st.fit_intercept:
                        intercept[k] = <floating> (intercept[k] + step * st.intercept_decay)
                ab = 0.0
                if st.l1_strength > 0.0:
                    for j in range(n_params):
                        ab += fabs(w[j])
                weight_sum += weight_b
            else:
                n_chunks = chunks_for(rows, n_out)
                parallel = st.n_threads > 1 and rows * n_params >= MIN_PARALLEL_WORK
                for c in prange(n_chunks, num_threads=st.n_threads, use_threads_if=parallel,
                                schedule='static'):
                    if gemm_scratch != NULL:
                        tid = omp_get_thread_num()
                        chunk_gradient_gemm(&X[0, 0], &y[0], &sample_weight[0],
                                            rowp + c * rows // n_chunks,
                                            (c + 1) * rows // n_chunks - c * rows // n_chunks,
                                            w, &intercept[0], n_out, n_features, &st,
                                            partial + c * n_params, partial_b + c * n_out,
                                            z + c * n_out, sums + 3 * c,
                                            gemm_scratch + tid * gemm_stride,
                                            gemm_scratch + tid * gemm_stride
                                            + GEMM_ROWS * n_features,
                                            gemm_scratch + tid * gemm_stride
                                            + GEMM_ROWS * (n_features + n_out))
                    else:
                        chunk_gradient(&X[0, 0], &y[0], &sample_weight[0],
                                       rowp + c * rows // n_chunks,
                                       (c + 1) * rows // n_chunks - c * rows // n_chunks,
                                       w, &intercept[0], n_out, n_features, &st,
                                       partial + c * n_params, partial_b + c * n_out,
                                       z + c * n_out, sums + 3 * c)
                finite = True
                weight_b = 0.0
                for c in range(n_chunks):
                    finite = finite and sums[3 * c + 2] == 0.0
                    loss_sum += sums[3 * c]
                    weight_b += sums[3 * c + 1]
                if not finite:
                    status = NONFINITE
                    break
                objective_sum += weight_b * loss_b
                weight_sum += weight_b
                if use_l1:
                    u += st.l1_strength * eta
                n_reduced = n_chunks
                clip_coef = 1.0
                if use_clip_norm:
                    # global norm of the clipped mean gradient, weights and intercept:
                    # reduce in place, sum block norms in block order
                    for blk in prange(n_ublocks, num_threads=st.n_threads,
                                      use_threads_if=parallel, schedule='static'):
                        reduce_block(partial, n_chunks, n_params, blk * UPDATE_BLOCK,
                                     min((blk + 1) * UPDATE_BLOCK, n_params), inv_rows,
                                     st.optim.clip_value, norms + 2 * blk)
                    gsq = 0.0
                    for blk in range(n_ublocks):
                        gsq += norms[2 * blk]
                    for k in range(n_out):
                        gb = 0.0
                        for c in range(n_chunks):
                            gb += partial_b[c * n_out + k]
                        partial_b[k] = gb
                        if st.fit_intercept:
                            gbk = clip_grad(inv_rows * gb, st.optim.clip_value)
                            gsq += gbk * gbk
                    n_reduced = 1
                    clip_coef = clip_norm_coef(gsq, st.optim.clip_norm)
                for blk in prange(n_ublocks, num_threads=st.n_threads,
                                  use_threads_if=parallel, schedule='static'):
                    update_block(w, avg, q, so, partial, n_reduced, n_params,
                                 blk * UPDATE_BLOCK, min((blk + 1) * UPDATE_BLOCK, n_params),
                                 inv_rows, clip_coef, eta, scale, avg_weight, u, &st, &kw,
                                 norms + 2 * blk)
                sq = 0.0
                ab = 0.0
                for blk in range(n_ublocks):
                    sq += norms[2 * blk]
                    ab += norms[2 * blk + 1]
                if st.fit_intercept:
                    for k in range(n_out):
                        gb = 0.0
                        for c in range(n_reduced):
                            gb += partial_b[c * n_out + k]
                        intercept[k] = <floating> intercept_step(
                            intercept[k], gb, k, n_out, inv_rows, eta, clip_coef, &st, &kb, sb)
            t += 1.0
            done += 1
            if not close_update(&intercept[0], avg_ip, n_out, avg_weight, &counters[0], rows,
                                opt_step, sq):
                status = NONFINITE
                break

    free(partial); free(partial_b); free(z); free(sums); free(norms); free(gemm_scratch)
    counters[0] = t
    counters[1] = u
    result[0] = status
    result[1] = done
    result[2] = loss_sum
    result[3] = loss_sum + objective_sum
    result[4] = weight_sum
    result[5] = eta if done > 0 else learning_rate_at(&st, t)


# =====================================================================================
# Sparse (CSR) kernel
# =====================================================================================
# Mini-batch SGD on CSR data: the same model, batches, schedules, status codes and counters
# as `train_dense_block`, with the cost of an update proportional to the batch's non-zeros.
#
# Strategy (see docs/sparse.md for the derivations and the measurements):
#
# * Scores first. All the batch's scores are computed with the weights of the previous update
#   (rows in parallel chunks when the batch is large; every row writes its own slot, so the
#   result does not depend on the thread count), then the update is applied.
# * L2 or no penalty (MODE_SCALED): w = s * v (Bottou's scale factor, as scikit-learn's
#   WeightVector). Weight decay multiplies s; each row's contribution is scattered into v,
#   divided by s: no dense gradient buffer. sum(v^2) is kept per touched weight, so the
#   penalty of the current weights costs O(1) per batch. When s < 1e-9 (or s = 0) v is
#   rescaled once, O(d) (with ASGD at s < 1e-3, see RESCALE_THRESHOLD_AVG). ASGD: avg = (a + A v) / B with per-weight a and scalars A, B
#   (B <- B / (1 - mu), A <- A + mu s B, and a_j -= A dv_j for every scattered dv_j), so the
#   average also costs O(nnz); mu = 1 (the first averaged update) resets a = 0, A = s, B = 1.
# * Pure L1 (MODE_LAZY_L1, l2 = 0, no averaging): the cumulative truncation of Tsuruoka et
#   al. (2009) is lazy by construction: clip(w - (u + q_j)) with the global budget u. A weight
#   that no batch touches is unchanged between truncations (no decay when l2 = 0), and
#   truncating once with the latest u equals truncating at every update (each truncation
#   leaves q_j = -sign(w) u, and 0 is absorbing). So a batch first catches up the weights it
#   reads, then updates and truncates them; the others catch up at the end of the block.
#   The objective's penalty sum_b weight_b * l1 |w(b)|_1 is settled per weight when it is next
#   touched: between touches |w_j(b)| = max(0, r_j - u_b) with r_j = |w_j| - sign(w_j) q_j,
#   summed from prefix sums of weight_b and weight_b u_b (a binary search finds where it hits 0).
# * Elastic net, or L1 with averaging (MODE_DENSE_UPDATE): the decay between touches changes
#   what the truncation does, and the average is taken before the truncation, so no lazy form
#   is exact in general: the sparse gradient is scattered into a double buffer and the dense
#   kernel's own `update_block` applies decay, step, average and truncation to every weight,
#   O(d) per update (the forward pass stays O(nnz)).
#
# Equivalence: the coefficients equal the dense kernel's on the same data to rounding
# (tests/test_sparse.py checks 1e-10 relative in float64 for every loss and penalty).
from libc.stdint cimport int32_t, int64_t

ctypedef fused csr_index:
    int32_t
    int64_t

cdef enum SparseMode:
    MODE_SCALED = 0
    MODE_LAZY_L1 = 1
    MODE_DENSE_UPDATE = 2

# below this scale factor v is folded back into w (O(d), rare), as scikit-learn does; with
# ASGD sooner: avg = (a + A v) / B cancels, losing about log10(1 / s) digits
cdef double RESCALE_THRESHOLD = 1e-9
cdef double RESCALE_THRESHOLD_AVG = 1e-3
# batch non-zeros x outputs below which the scores are computed by one thread: the sparse
# update is serial, so threads only split the scoring half; measured on R8 (8 outputs) on the
# shared 2-core machine, a fork/join per batch of 128 rows (60k multiply-adds) cost 4x
cdef Py_ssize_t MIN_PARALLEL_SPARSE = 1 << 19


def csr_update_mode(double l2_strength, double l1_strength, double average_start,
                    bint stateful=False):
    """Which sparse update `train_csr_block` uses: 0 = scaled (O(nnz)), 1 = lazy L1
    (O(nnz)), 2 = dense update (O(n_features) per update). Stateful optimizers (momentum,
    Adagrad, RMSprop, Adam) and gradient clipping take the dense update: their state moves
    every weight at every step, also where the batch's gradient is zero."""
    if stateful:
        return MODE_DENSE_UPDATE
    if l1_strength <= 0.0:
        return MODE_SCALED
    if l2_strength <= 0.0 and average_start <= 0.0:
        return MODE_LAZY_L1
    return MODE_DENSE_UPDATE


cdef inline double csr_dot(const floating* data, const csr_index* ind, Py_ssize_t p0,
                           Py_ssize_t p1, const floating* w) noexcept nogil:
    """sum_p data[p] * w[ind[p]] in double, two accumulators."""
    cdef double s0 = 0.0, s1 = 0.0
    cdef Py_ssize_t p = p0
    while p + 1 < p1:
        s0 += <double> data[p] * w[ind[p]]
        s1 += <double> data[p + 1] * w[ind[p + 1]]
        p += 2
    if p < p1:
        s0 += <double> data[p] * w[ind[p]]
    return s0 + s1


cdef inline void csr_rows_scores(const floating* data, const csr_index* ind, const csr_index* indptr,
                          const double* y, const double* sw, const Py_ssize_t* rows,
                          Py_ssize_t r0, Py_ssize_t r1, const floating* v, double s,
                          const floating* intercept, Py_ssize_t n_out, Py_ssize_t n_features,
                          const Settings* st,
                          double* dz,        # OUT (rows, n_out): w_i dL/dz_i
                          double* lossr,     # OUT (rows,): w_i L_i
                          double* bad        # OUT 1.0 if a score is not finite
                          ) noexcept nogil:
    """Scores and weighted loss derivatives of batch rows r0..r1-1 (old weights)."""
    cdef Py_ssize_t r, i, k
    cdef double wi
    cdef double* z
    for r in range(r0, r1):
        i = rows[r]
        z = dz + r * n_out
        for k in range(n_out):
            z[k] = s * csr_dot(data, ind, indptr[i], indptr[i + 1], v + k * n_features) \
                + intercept[k]
            if not isfinite(z[k]):
                bad[0] = 1.0
                return
        wi = sw[i]
        lossr[r] = wi * sample_loss(st, z, y[i], n_out)
        for k in range(n_out):
            z[k] = wi * z[k]


cdef inline void l1_truncate(floating* w, double* q, double u) noexcept nogil:
    """The cumulative L1 clip of one weight (same arithmetic as update_block)."""
    cdef double v = w[0], before = v
    if v > 0.0:
        v = v - (u + q[0])
        if v < 0.0:
            v = 0.0
    elif v < 0.0:
        v = v + (u - q[0])
        if v > 0.0:
            v = 0.0
    else:
        return
    q[0] += v - before
    w[0] = <floating> v


cdef inline double l1_settle(const floating* w, const double* q, Py_ssize_t n_out,
                             Py_ssize_t n_features, Py_ssize_t j, Py_ssize_t c0, Py_ssize_t c1,
                             const double* ub, const double* wp, const double* wup
                             ) noexcept nogil:
    """sum over batches c in [c0, c1) of weight_c * |w_j(c)|_1 (all outputs) for a weight
    untouched since c0: |w(c)| = max(0, r - ub[c]), ub nondecreasing."""
    cdef Py_ssize_t k, lo, hi, mid
    cdef double x, r, total = 0.0
    if c1 <= c0:
        return 0.0
    for k in range(n_out):
        x = w[k * n_features + j]
        if x == 0.0:
            continue
        r = fabs(x) - (q[k * n_features + j] if x > 0.0 else -q[k * n_features + j])
        # first c in [c0, c1) with ub[c] >= r (the weight is 0 from there on)
        lo = c0
        hi = c1
        if ub[c1 - 1] >= r:
            while lo < hi:
                mid = (lo + hi) // 2
                if ub[mid] >= r:
                    hi = mid
                else:
                    lo = mid + 1
        total += r * (wp[hi] - wp[c0]) - (wup[hi] - wup[c0])
    return total


def train_csr_block(
    const floating[::1] data,           # IN  CSR values (nnz,)
    const csr_index[::1] indices,       # IN  CSR column indices, sorted, unique per row
    const csr_index[::1] indptr,        # IN  CSR row pointers (n_samples + 1,)
    const double[::1] y,                # IN  target, +-1 label or class index
    const double[::1] sample_weight,    # IN  (n_samples,)
    const Py_ssize_t[::1] order,        # IN  this epoch's sample order
    Py_ssize_t first_batch,             # IN  first batch of the epoch to run
    Py_ssize_t n_batches,               # IN  batches to run in this call
    floating[:, ::1] coef,              # IN/OUT (n_outputs, n_features)
    floating[::1] intercept,            # IN/OUT (n_outputs,)
    floating[:, ::1] avg_coef,          # IN/OUT ASGD averages, same shapes (unused if off)
    floating[::1] avg_intercept,        # IN/OUT
    double[:, ::1] l1_applied,          # IN/OUT L1 penalty applied per weight (q), if L1
    double[:, :, ::1] opt_coef,         # IN/OUT optimizer state, as in train_dense_block
    double[:, ::1] opt_intercept,       # IN/OUT
    double[::1] counters,               # IN/OUT as in train_dense_block
    dict settings,
    double[::1] result,                 # OUT as in train_dense_block
):
    """`train_dense_block` for a CSR matrix given as (data, indices, indptr); the input must
    have been validated by fastsgd._validation.check_csr (no kernel-side checks)."""
    cdef Settings st = settings
    cdef Py_ssize_t n_features = coef.shape[1], n_out = coef.shape[0]
    cdef Py_ssize_t n_params = n_out * n_features, n_order = order.shape[0]
    cdef Py_ssize_t max_rows = min(st.batch_size, n_order)
    cdef Py_ssize_t n_ublocks = (n_params + UPDATE_BLOCK - 1) // UPDATE_BLOCK
    cdef bint plain = st.optim.code == PLAIN_SGD
    cdef bint use_clip_norm = st.optim.clip_norm > 0.0
    cdef bint clipping = use_clip_norm or st.optim.clip_value > 0.0
    cdef int mode = csr_update_mode(st.l2_strength, st.l1_strength, st.average_start,
                                    not plain or clipping)
    cdef Py_ssize_t n_slots = optim_slots(&st.optim)
    cdef double opt_step = counters[4], gsq, clip_coef = 1.0, gbk
    cdef OptStep kw, kb
    cdef double* so = NULL
    cdef double* sb = NULL
    cdef bint use_avg = st.average_start > 0.0
    cdef bint use_l1 = st.l1_strength > 0.0
    cdef Py_ssize_t b, bl, c, k, j, p, r, i, start, rows, n_chunks, blk, kd, done = 0
    cdef Py_ssize_t nnz_b
    cdef double t = counters[0], u = counters[1]
    cdef double eta, scale, inv_rows, avg_weight, step, gb, loss_b, weight_b, sq, ab, pen
    cdef double loss_sum = 0.0, objective_sum = 0.0, weight_sum = 0.0, l1_pen = 0.0
    cdef double s = 1.0, sqv = 0.0, A = 0.0, B = 1.0, old, new, x
    cdef bint parallel
    cdef int status = OK
    cdef floating* w = &coef[0, 0]
    cdef floating* avgp = &avg_coef[0, 0] if use_avg else NULL
    cdef floating* avg_ip = &avg_intercept[0] if use_avg else NULL
    cdef double* q = &l1_applied[0, 0] if use_l1 else NULL
    cdef const floating* xd = &data[0] if data.shape[0] > 0 else NULL
    cdef const csr_index* xi = &indices[0] if indices.shape[0] > 0 else NULL
    cdef const csr_index* xp = &indptr[0]
    cdef const Py_ssize_t* rowp
    cdef double* dz = NULL
    cdef double* lossr = NULL
    cdef double* bad = NULL
    cdef double* aw = NULL       # MODE_SCALED + average: a_j
    cdef double* g = NULL        # MODE_DENSE_UPDATE: the batch gradient (zeroed after use)
    cdef double* norms = NULL
    cdef double* ub = NULL       # MODE_LAZY_L1 history: u before batch c
    cdef double* wp = NULL       #   prefix sums of weight_c
    cdef double* wup = NULL      #   prefix sums of weight_c * u_c
    cdef Py_ssize_t* last = NULL #   per feature: first batch not yet settled

    dz = <double*> malloc(max_rows * n_out * sizeof(double))
    lossr = <double*> malloc(max_rows * sizeof(double))
    bad = <double*> malloc(MAX_CHUNKS * sizeof(double))
    norms = <double*> malloc(n_ublocks * 2 * sizeof(double))
    cdef bint ok = dz != NULL and lossr != NULL and bad != NULL and norms != NULL
    if mode == MODE_SCALED and use_avg:
        aw = <double*> malloc(n_params * sizeof(double))
        ok = ok and aw != NULL
    elif mode == MODE_DENSE_UPDATE:
        g = <double*> calloc(n_params, sizeof(double))
        ok = ok and g != NULL
    elif mode == MODE_LAZY_L1:
        ub = <double*> malloc((n_batches + 1) * sizeof(double))
        wp = <double*> malloc((n_batches + 1) * sizeof(double))
        wup = <double*> malloc((n_batches + 1) * sizeof(double))
        last = <Py_ssize_t*> calloc(n_features, sizeof(Py_ssize_t))
        ok = ok and ub != NULL and wp != NULL and wup != NULL and last != NULL
    if not ok:
        free(dz); free(lossr); free(bad); free(norms); free(aw); free(g)
        free(ub); free(wp); free(wup); free(last)
        result[0] = <int> NO_MEMORY
        result[1] = 0
        return

    if not plain:
        if (opt_coef.shape[0] < n_slots or opt_coef.shape[1] != n_out
                or opt_coef.shape[2] != n_features or opt_intercept.shape[0] < n_slots
                or opt_intercept.shape[1] != n_out):
            free(dz); free(lossr); free(bad); free(norms); free(aw); free(g)
            free(ub); free(wp); free(wup); free(last)
            raise ValueError("optimizer state does not fit the model")
        so = &opt_coef[0, 0, 0]
        sb = &opt_intercept[0, 0]
    memset(&kw, 0, sizeof(OptStep))
    memset(&kb, 0, sizeof(OptStep))

    with nogil:
        sq = 0.0
        ab = 0.0
        if mode == MODE_DENSE_UPDATE or (mode == MODE_SCALED and st.l2_strength > 0.0):
            # the penalty of the current weights (else sq is only a NaN/inf detector)
            for j in range(n_params):
                sq += <double> w[j] * w[j]
                ab += fabs(w[j])
        sqv = sq
        if aw != NULL:
            for j in range(n_params):
                aw[j] = avgp[j]
        if mode == MODE_LAZY_L1:
            wp[0] = 0.0
            wup[0] = 0.0
        for b in range(first_batch, first_batch + n_batches):
            bl = b - first_batch
            start = b * st.batch_size
            rows = min(st.batch_size, n_order - start)
            rowp = &order[start]
            eta = learning_rate_at(&st, t)
            scale = 1.0 - eta * st.l2_strength
            if scale < 0.0:
                scale = 0.0
            inv_rows = 1.0 / rows
            avg_weight = 1.0 / (t - st.average_start + 1.0) if (
                use_avg and t >= st.average_start) else 0.0
            opt_step += 1.0
            if not plain:
                optim_scalars(&st.optim, eta, st.l2_strength, st.optim.weight_decay, opt_step,
                              &kw)
                optim_scalars(&st.optim, eta * st.intercept_decay, 0.0, 0.0, opt_step, &kb)

            if start + rows < n_order:
                # the next batch's first row: its entries are at a random place in memory
                i = rowp[rows]
                fsgd_prefetch(xi + xp[i], (xp[i + 1] - xp[i]) * sizeof(csr_index))
                fsgd_prefetch(xd + xp[i], (xp[i + 1] - xp[i]) * sizeof(floating))
            if mode == MODE_LAZY_L1:
                # settle the penalty of the weights this batch reads, and catch them up
                for r in range(rows):
                    i = rowp[r]
                    for p in range(xp[i], xp[i + 1]):
                        j = xi[p]
                        if last[j] != bl:
                            l1_pen += st.l1_strength * l1_settle(
                                w, q, n_out, n_features, j, last[j], bl, ub, wp, wup)
                            for k in range(n_out):
                                l1_truncate(w + k * n_features + j, q + k * n_features + j, u)
                            last[j] = bl

            # ---- scores with the current weights (w = s * v)
            nnz_b = 0
            if st.n_threads > 1 and rows > CHUNK_ROWS:
                for r in range(rows):
                    nnz_b += xp[rowp[r] + 1] - xp[rowp[r]]
            parallel = st.n_threads > 1 and rows > CHUNK_ROWS and \
                nnz_b * n_out >= MIN_PARALLEL_SPARSE
            if parallel:
                n_chunks = chunks_for(rows, 1)   # rows only: any n_out
                for c in prange(n_chunks, num_threads=st.n_threads, schedule='static'):
                    bad[c] = 0.0
                    csr_rows_scores(xd, xi, xp, &y[0], &sample_weight[0], rowp,
                                    c * rows // n_chunks, (c + 1) * rows // n_chunks,
                                    w, s, &intercept[0], n_out, n_features, &st, dz, lossr,
                                    bad + c)
            else:
                n_chunks = 1
                bad[0] = 0.0
                csr_rows_scores(xd, xi, xp, &y[0], &sample_weight[0], rowp, 0, rows, w, s,
                                &intercept[0], n_out, n_features, &st, dz, lossr, bad)
            for c in range(n_chunks):
                if bad[c] != 0.0:
                    status = NONFINITE
            if status != OK:
                break
            weight_b = 0.0
            for r in range(rows):
                loss_sum += lossr[r]
                weight_b += sample_weight[rowp[r]]
            weight_sum += weight_b

            # ---- penalty of the current weights, for the objective
            if mode == MODE_LAZY_L1:
                ub[bl] = u
                wp[bl + 1] = wp[bl] + weight_b
                wup[bl + 1] = wup[bl] + weight_b * u
                for r in range(rows):
                    i = rowp[r]
                    for p in range(xp[i], xp[i + 1]):
                        j = xi[p]
                        if last[j] == bl:
                            for k in range(n_out):
                                l1_pen += weight_b * st.l1_strength * fabs(w[k * n_features + j])
                            last[j] = bl + 1
            elif mode == MODE_SCALED:
                objective_sum += weight_b * 0.5 * st.l2_strength * s * s * sqv
            else:
                objective_sum += weight_b * penalty_value(&st, sq, ab)

            # ---- the update
            if mode == MODE_DENSE_UPDATE:
                for r in range(rows):
                    i = rowp[r]
                    for k in range(n_out):
                        x = dz[r * n_out + k]
                        if x != 0.0:
                            kd = k * n_features
                            for p in range(xp[i], xp[i + 1]):
                                g[kd + xi[p]] += x * xd[p]
                u += st.l1_strength * eta
                parallel = st.n_threads > 1 and n_params >= MIN_PARALLEL_WORK
                clip_coef = 1.0
                if use_clip_norm:
                    # global norm of the clipped mean gradient, weights then intercept
                    for blk in prange(n_ublocks, num_threads=st.n_threads,
                                      use_threads_if=parallel, schedule='static'):
                        reduce_block(g, 1, n_params, blk * UPDATE_BLOCK,
                                     min((blk + 1) * UPDATE_BLOCK, n_params), inv_rows,
                                     st.optim.clip_value, norms + 2 * blk)
                    gsq = 0.0
                    for blk in range(n_ublocks):
                        gsq += norms[2 * blk]
                    if st.fit_intercept:
                        for k in range(n_out):
                            gb = 0.0
                            for r in range(rows):
                                gb += dz[r * n_out + k]
                            gbk = clip_grad(inv_rows * gb, st.optim.clip_value)
                            gsq += gbk * gbk
                    clip_coef = clip_norm_coef(gsq, st.optim.clip_norm)
                for blk in prange(n_ublocks, num_threads=st.n_threads,
                                  use_threads_if=parallel, schedule='static'):
                    update_block(w, avgp, q, so, g, 1, n_params,
                                 blk * UPDATE_BLOCK, min((blk + 1) * UPDATE_BLOCK, n_params),
                                 inv_rows, clip_coef, eta, scale, avg_weight, u, &st, &kw,
                                 norms + 2 * blk)
                sq = 0.0
                ab = 0.0
                for blk in range(n_ublocks):
                    sq += norms[2 * blk]
                    ab += norms[2 * blk + 1]
                for r in range(rows):   # zero what the batch wrote: O(nnz), not O(d)
                    i = rowp[r]
                    for k in range(n_out):
                        kd = k * n_features
                        for p in range(xp[i], xp[i + 1]):
                            g[kd + xi[p]] = 0.0
            elif mode == MODE_LAZY_L1:
                # l2 = 0: no decay, s = 1
                for r in range(rows):
                    i = rowp[r]
                    for k in range(n_out):
                        step = -eta * inv_rows * dz[r * n_out + k]
                        if step != 0.0:
                            kd = k * n_features
                            for p in range(xp[i], xp[i + 1]):
                                w[kd + xi[p]] = <floating> (w[kd + xi[p]] + step * xd[p])
                u += st.l1_strength * eta
                sq = 0.0
                for r in range(rows):
                    i = rowp[r]
                    for p in range(xp[i], xp[i + 1]):
                        j = xi[p]
                        for k in range(n_out):
                            l1_truncate(w + k * n_features + j, q + k * n_features + j, u)
                            sq += w[k * n_features + j]   # NaN/inf detector only
            else:
                # MODE_SCALED: decay through s, then scatter the rows' contributions
                if scale != 1.0:
                    if scale == 0.0:
                        # w = 0 - eta g: fold the average into a, drop v
                        for j in range(n_params):
                            if aw != NULL:
                                aw[j] += A * w[j]
                            w[j] = 0
                        A = 0.0
                        s = 1.0
                        sqv = 0.0
                    else:
                        s *= scale
                        if s < (RESCALE_THRESHOLD if aw == NULL else RESCALE_THRESHOLD_AVG):
                            sqv = 0.0
                            for j in range(n_params):
                                if aw != NULL:
                                    aw[j] += A * w[j]
                                w[j] = <floating> (s * w[j])
                                sqv += <double> w[j] * w[j]
                            A = 0.0
                            s = 1.0
                for r in range(rows):
                    i = rowp[r]
                    for k in range(n_out):
                        step = -eta * inv_rows * dz[r * n_out + k] / s
                        if step != 0.0:
                            kd = k * n_features
                            for p in range(xp[i], xp[i + 1]):
                                j = kd + xi[p]
                                old = w[j]
                                w[j] = <floating> (old + step * xd[p])
                                new = w[j]
                                sqv += new * new - old * old
                                if aw != NULL:
                                    aw[j] -= A * (new - old)
                if avg_weight > 0.0:
                    if avg_weight == 1.0:
                        for j in range(n_params):
                            aw[j] = 0.0
                        A = s
                        B = 1.0
                    else:
                        B = B / (1.0 - avg_weight)
                        A = A + avg_weight * s * B
                sq = sqv

            if st.fit_intercept:
                for k in range(n_out):
                    gb = 0.0
                    for r in range(rows):
                        gb += dz[r * n_out + k]
                    intercept[k] = <floating> intercept_step(
                        intercept[k], gb, k, n_out, inv_rows, eta, clip_coef, &st, &kb, sb)
            t += 1.0
            done += 1
            if not close_update(&intercept[0], avg_ip, n_out, avg_weight, &counters[0], rows,
                                opt_step, sq):
                status = NONFINITE
                break

        # ---- leave the state as the dense kernel would: real weights and averages
        if mode == MODE_LAZY_L1:
            for j in range(n_features):
                l1_pen += st.l1_strength * l1_settle(w, q, n_out, n_features, j, last[j],
                                                     done, ub, wp, wup)
                for k in range(n_out):
                    l1_truncate(w + k * n_features + j, q + k * n_features + j, u)
            objective_sum += l1_pen
        elif mode == MODE_SCALED:
            for j in range(n_params):
                if aw != NULL:
                    avgp[j] = <floating> ((aw[j] + A * w[j]) / B)
                if s != 1.0:
                    w[j] = <floating> (s * w[j])

    free(dz); free(lossr); free(bad); free(norms); free(aw); free(g)
    free(ub); free(wp); free(wup); free(last)
    counters[0] = t
    counters[1] = u
    result[0] = status
    result[1] = done
    result[2] = loss_sum
    result[3] = loss_sum + objective_sum
    result[4] = weight_sum
    result[5] = eta if done > 0 else learning_rate_at(&st, t)


def csr_first_bad_index(const csr_index[::1] indices, const csr_index[::1] indptr,
                        Py_ssize_t n_features):
    """One pass over a CSR structure (indptr already checked): (kind, position) of the first
    stored entry whose column index is negative (1), >= n_features (2), not above the
    previous one of its row (3: unsorted, 4: duplicate), or (0, -1) when all are valid.
    Used by fastsgd._validation.check_csr, which words the error."""
    cdef Py_ssize_t i, p, n = indptr.shape[0] - 1, bad_at = -1
    cdef long long j, prev
    cdef int kind = 0
    with nogil:
        for i in range(n):
            prev = -1
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if j < 0:
                    kind = 1
                elif j >= n_features:
                    kind = 2
                elif j <= prev:
                    kind = 4 if j == prev else 3
                else:
                    prev = j
                    continue
                bad_at = p
                break
            if kind:
                break
    return kind, bad_at
