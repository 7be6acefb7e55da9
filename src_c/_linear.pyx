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
from libc.stdlib cimport malloc, free
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
    MIN_PARALLEL_WORK = 32768  # rows * parameters below which one thread is faster
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
                        if plain and not clipping:
                            intercept[k] = <floating> (
                                intercept[k] - eta * inv_rows * gb * st.intercept_decay)
                        else:
                            gbk = clip_grad(inv_rows * gb, st.optim.clip_value) * clip_coef
                            if plain:
                                intercept[k] = <floating> (
                                    intercept[k] - eta * gbk * st.intercept_decay)
                            else:
                                intercept[k] = <floating> optim_update(
                                    &st.optim, &kb, intercept[k], gbk, sb + k, n_out)
            if use_avg and avg_weight > 0.0:
                for k in range(n_out):
                    avg_intercept[k] += (intercept[k] - avg_intercept[k]) * avg_weight
            t += 1.0
            done += 1
            counters[2] += 1.0
            counters[3] += rows
            counters[4] = opt_step
            if not isfinite(sq) or not isfinite(intercept[0]):
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
