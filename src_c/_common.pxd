# Settings and per-sample math shared by the linear-model kernels (dense and sparse).
from libc.math cimport pow

from _losses cimport column_loss, softmax_loss

cdef enum Schedule:
    CONSTANT = 0
    OPTIMAL = 1
    INVSCALING = 2

cdef struct Settings:
    int loss                 # LossCode of _losses.pxd
    int multinomial          # softmax over the K outputs (target = class index)
    int ovr                  # K one-vs-rest columns (target = class index)
    double epsilon           # huber / epsilon-insensitive margin
    double l2_strength       # alpha * (1 - l1_ratio)
    double l1_strength       # alpha * l1_ratio
    double alpha             # for the `optimal` schedule
    int fit_intercept
    double intercept_decay
    int schedule             # Schedule
    double eta0
    double power_t
    double optimal_init
    double average_start     # ASGD starts at update t >= average_start; 0 = off
    Py_ssize_t batch_size
    int n_threads
    int use_gemm             # batch gradients of many outputs through BLAS GEMM


cdef inline double learning_rate_at(const Settings* st, double t) noexcept nogil:
    """scikit-learn's schedules, with t the 1-based update counter."""
    if st.schedule == OPTIMAL:
        return 1.0 / (st.alpha * (st.optimal_init + t - 1.0))
    if st.schedule == INVSCALING:
        return st.eta0 / pow(t, st.power_t)
    return st.eta0


cdef inline double sample_loss(const Settings* st, double* z, double target,
                               Py_ssize_t n_out) noexcept nogil:
    """Loss of one sample from its scores z[0:n_out]; overwrites z with dL/dz."""
    cdef Py_ssize_t k
    cdef double total = 0.0, d = 0.0
    if st.multinomial:
        return softmax_loss(z, n_out, <Py_ssize_t> target)
    if not st.ovr:
        total = column_loss(st.loss, z[0], target, st.epsilon, &d)
        z[0] = d
        return total
    for k in range(n_out):
        total += column_loss(st.loss, z[k], 1.0 if k == <Py_ssize_t> target else -1.0,
                             st.epsilon, &d)
        z[k] = d
    return total
