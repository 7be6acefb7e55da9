# Loss functions of one linear-model sample, written once for every kernel.
#
# Column losses act on one output score z with target y (a real value for regression,
# -1/+1 for classification) and write dL/dz clipped to +-MAX_DLOSS, as scikit-learn does.
# The multinomial loss acts on the K scores of one sample (softmax cross-entropy).
# Formulas follow scikit-learn's `_sgd_fast.pyx.tp` and `_loss.pyx.tp`; the logistic
# ones are evaluated in the branch where exp() cannot overflow.
from libc.math cimport exp, log, log1p, fabs

cdef enum LossCode:
    SQUARED_ERROR = 0
    HUBER = 1
    EPSILON_INSENSITIVE = 2
    SQUARED_EPSILON_INSENSITIVE = 3
    LOG_LOSS = 4
    HINGE = 5
    SQUARED_HINGE = 6
    MODIFIED_HUBER = 7
    PERCEPTRON = 8

cdef inline double clip_dloss(double d) noexcept nogil:
    # scikit-learn's MAX_DLOSS: keeps one wild sample from blowing up the weights
    if d < -1e12:
        return -1e12
    if d > 1e12:
        return 1e12
    return d

cdef inline double column_loss(int loss, double z, double y, double epsilon,
                               double* dloss) noexcept nogil:
    """Return L(z, y) and write dL/dz (clipped) to dloss[0]."""
    cdef double r, m, e, value, d = 0.0
    if loss == SQUARED_ERROR:
        r = z - y
        value = 0.5 * r * r
        d = r
    elif loss == HUBER:
        r = z - y
        if fabs(r) <= epsilon:
            value = 0.5 * r * r
            d = r
        else:
            value = epsilon * (fabs(r) - 0.5 * epsilon)
            d = epsilon if r > 0 else -epsilon
    elif loss == EPSILON_INSENSITIVE:
        r = y - z
        value = fabs(r) - epsilon
        if value < 0:
            value = 0.0
        if r > epsilon:
            d = -1.0
        elif -r > epsilon:
            d = 1.0
        else:
            d = 0.0
    elif loss == SQUARED_EPSILON_INSENSITIVE:
        r = y - z
        value = fabs(r) - epsilon
        value = value * value if value > 0 else 0.0
        if r > epsilon:
            d = -2.0 * (r - epsilon)
        elif r < -epsilon:
            d = 2.0 * (-r - epsilon)
        else:
            d = 0.0
    elif loss == LOG_LOSS:
        # log(1 + exp(-m)) and its derivative -y * sigmoid(-m), m = y z
        m = y * z
        if m >= 0:
            e = exp(-m)
            value = log1p(e)
            d = -y * e / (1.0 + e)
        else:
            e = exp(m)
            value = -m + log1p(e)
            d = -y / (1.0 + e)
    elif loss == HINGE or loss == PERCEPTRON:
        # threshold 1 for hinge, 0 for the perceptron
        m = y * z
        r = 1.0 if loss == HINGE else 0.0
        if m <= r:
            value = r - m
            d = -y
        else:
            value = 0.0
            d = 0.0
    elif loss == SQUARED_HINGE:
        r = 1.0 - y * z
        if r > 0:
            value = r * r
            d = -2.0 * y * r
        else:
            value = 0.0
            d = 0.0
    else:  # MODIFIED_HUBER
        m = y * z
        if m >= 1.0:
            value = 0.0
            d = 0.0
        elif m >= -1.0:
            value = (1.0 - m) * (1.0 - m)
            d = -2.0 * y * (1.0 - m)
        else:
            value = -4.0 * m
            d = -4.0 * y
    dloss[0] = clip_dloss(d)
    return value

cdef inline double softmax_loss(double* z, Py_ssize_t n_classes, Py_ssize_t label) noexcept nogil:
    """Cross-entropy of softmax(z) at `label`; overwrite z with dL/dz = softmax(z) - onehot."""
    cdef Py_ssize_t k
    cdef double zmax = z[0], total = 0.0, z_label = z[label]
    for k in range(1, n_classes):
        if z[k] > zmax:
            zmax = z[k]
    for k in range(n_classes):
        z[k] = exp(z[k] - zmax)
        total += z[k]
    for k in range(n_classes):
        z[k] /= total
    z[label] -= 1.0
    return zmax + log(total) - z_label
