# Settings and per-sample math shared by the linear-model kernels (dense and sparse).
from libc.math cimport pow, floor, cos, M_PI

from _losses cimport column_loss, softmax_loss
from _optim cimport Optim

cdef enum Schedule:
    CONSTANT = 0
    OPTIMAL = 1
    INVSCALING = 2
    STEP = 3
    MULTISTEP = 4
    EXPONENTIAL = 5
    COSINE = 6

cdef enum:
    MAX_MILESTONES = 64      # MultiStep schedules hold at most this many milestones

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
    # step / multistep / exponential / cosine (fastsgd/schedules.py): their clock k counts
    # epochs (sched_per_epoch = 1: k = sched_epoch, epochs completed since the clock was
    # reset, constant within a kernel call) or updates (k = t - 1)
    int sched_per_epoch
    double sched_epoch
    double gamma             # step, multistep, exponential: decay factor
    double sched_step        # step: period in clock units
    double t_max             # cosine: length of the decay (after warmup)
    double eta_min           # cosine: floor
    double warmup            # linear warmup length in clock units (0 = none)
    double warmup_start      # warmup factor at k = 0
    Py_ssize_t n_milestones
    double milestones[MAX_MILESTONES]   # multistep, increasing
    Optim optim              # optimizer (_optim.pxd)


cdef inline double learning_rate_at(const Settings* st, double t) noexcept nogil:
    """The learning rate of update t (the 1-based schedule clock), in closed form.

    scikit-learn's schedules count updates. Step, multistep, exponential and cosine count
    k = epochs (sched_per_epoch, like torch.optim.lr_scheduler stepped once per epoch) or
    k = t - 1 updates; after an optional linear warmup of `warmup` units (factor
    warmup_start + (1 - warmup_start) k / warmup, torch's LinearLR) their clock restarts
    at k - warmup. Cosine stays at eta_min once k - warmup >= t_max."""
    cdef double k, factor
    cdef Py_ssize_t i, passed
    if st.schedule == OPTIMAL:
        return 1.0 / (st.alpha * (st.optimal_init + t - 1.0))
    if st.schedule == INVSCALING:
        return st.eta0 / pow(t, st.power_t)
    if st.schedule == CONSTANT:
        return st.eta0
    k = st.sched_epoch if st.sched_per_epoch else t - 1.0
    if k < st.warmup:
        factor = st.warmup_start + (1.0 - st.warmup_start) * k / st.warmup
        return st.eta0 * factor
    k = k - st.warmup
    if st.schedule == STEP:
        return st.eta0 * pow(st.gamma, floor(k / st.sched_step))
    if st.schedule == MULTISTEP:
        passed = 0
        for i in range(st.n_milestones):
            if st.milestones[i] <= k:
                passed += 1
        return st.eta0 * pow(st.gamma, <double> passed)
    if st.schedule == EXPONENTIAL:
        return st.eta0 * pow(st.gamma, k)
    if st.schedule == COSINE:
        if k >= st.t_max:
            return st.eta_min
        return st.eta_min + (st.eta0 - st.eta_min) * (1.0 + cos(M_PI * k / st.t_max)) / 2.0
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
