"""NumPy reference of the linear-model SGD kernel (src_c/_linear.pyx), written for clarity.

One update on batch rows R (n = |R|), learning rate eta = schedule(t):

    z_i  = W x_i + b                                  scores, i in R
    d_i  = dL/dz (z_i, y_i)  (clipped to +-1e12)       loss derivatives
    G    = (1/n) sum_i w_i d_i x_i^T,  g_b = (1/n) sum_i w_i d_i
    W    = max(0, 1 - eta l2) W - eta G                weight decay, gradient step
    b    = b - eta g_b                                 (intercept never penalized)
    Wavg = Wavg + (W - Wavg) / (t - average + 1)       ASGD, once t >= average
    W    = l1_truncate(W)                              cumulative L1 (Tsuruoka et al. 2009)
    t    = t + 1
"""
import numpy as np

from ..losses import loss_code

MAX_DLOSS = 1e12


def column_loss(loss, z, y, epsilon=0.1):
    """Loss and clipped dL/dz of single-output scores z against targets y (arrays)."""
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    loss_code(loss)
    if loss == "squared_error":
        value, d = 0.5 * (z - y) ** 2, z - y
    elif loss == "huber":
        r = z - y
        small = np.abs(r) <= epsilon
        value = np.where(small, 0.5 * r ** 2, epsilon * (np.abs(r) - 0.5 * epsilon))
        d = np.where(small, r, epsilon * np.sign(r))
    elif loss == "epsilon_insensitive":
        r = y - z
        value = np.maximum(np.abs(r) - epsilon, 0.0)
        d = np.where(r > epsilon, -1.0, np.where(-r > epsilon, 1.0, 0.0))
    elif loss == "squared_epsilon_insensitive":
        r = y - z
        value = np.maximum(np.abs(r) - epsilon, 0.0) ** 2
        d = np.where(r > epsilon, -2.0 * (r - epsilon),
                     np.where(r < -epsilon, 2.0 * (-r - epsilon), 0.0))
    elif loss == "log_loss":
        m = y * z
        value = np.logaddexp(0.0, -m)
        d = -y / (1.0 + np.exp(np.clip(m, -700, 700)))
    elif loss in ("hinge", "perceptron"):
        threshold = 1.0 if loss == "hinge" else 0.0
        m = y * z
        value = np.where(m <= threshold, threshold - m, 0.0)
        d = np.where(m <= threshold, -y, 0.0)
    elif loss == "squared_hinge":
        r = 1.0 - y * z
        value = np.where(r > 0, r ** 2, 0.0)
        d = np.where(r > 0, -2.0 * y * r, 0.0)
    else:  # modified_huber
        m = y * z
        value = np.where(m >= 1, 0.0, np.where(m >= -1, (1 - m) ** 2, -4 * m))
        d = np.where(m >= 1, 0.0, np.where(m >= -1, -2 * y * (1 - m), -4 * y))
    return value, np.clip(d, -MAX_DLOSS, MAX_DLOSS)


def softmax_loss(Z, labels):
    """Cross-entropy of softmax(Z) at integer labels, and dL/dZ = softmax(Z) - onehot."""
    Z = np.asarray(Z, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.intp)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    P = np.exp(shifted - log_norm[:, None])
    rows = np.arange(len(labels))
    value = log_norm - shifted[rows, labels]
    P[rows, labels] -= 1.0
    return value, P


def sample_losses(loss, Z, y, mode, epsilon=0.1):
    """Per-sample loss (n,) and dL/dZ (n, K). mode: 'single', 'ovr' or 'multinomial'."""
    if mode == "multinomial":
        return softmax_loss(Z, y)
    if mode == "ovr":
        K = Z.shape[1]
        targets = np.where(np.arange(K)[None, :] == np.asarray(y, dtype=np.intp)[:, None],
                           1.0, -1.0)
        value, d = column_loss(loss, Z, targets, epsilon)
        return value.sum(axis=1), d
    value, d = column_loss(loss, Z[:, 0], y, epsilon)
    return value, d[:, None]


def learning_rate(schedule, t, eta0, power_t=0.25, alpha=1e-4, optimal_init=0.0):
    if schedule == "optimal":
        return 1.0 / (alpha * (optimal_init + t - 1.0))
    if schedule == "invscaling":
        return eta0 / t ** power_t
    return eta0  # constant / adaptive


def train(X, y, sample_weight, orders, batch_size, *, loss, mode="single", epsilon=0.1,
          l2=0.0, l1=0.0, fit_intercept=True, schedule="constant", eta0=0.01, power_t=0.25,
          alpha=1e-4, optimal_init=0.0, average=0, coef=None, intercept=None,
          batches_per_epoch=None):
    """Run one epoch per entry of `orders` (sample orders). Returns final state and the
    (coef, intercept) after every epoch. Parameters are stored in X's dtype; arithmetic is
    float64, as in the kernel."""
    X = np.asarray(X)
    dtype = X.dtype
    n, d = X.shape
    K = 1 if mode == "single" else int(np.max(y)) + 1 if coef is None else coef.shape[0]
    W = np.zeros((K, d), dtype=dtype) if coef is None else np.array(coef, dtype=dtype)
    b = np.zeros(K, dtype=dtype) if intercept is None else np.array(intercept, dtype=dtype)
    W_avg, b_avg = W.copy(), b.copy()
    q = np.zeros((K, d))
    t, u = 1.0, 0.0
    trajectory = []
    for order in orders:
        n_batches = batches_per_epoch or -(-len(order) // batch_size)
        for start in range(0, n_batches * batch_size, batch_size):
            rows = np.asarray(order[start:start + batch_size])
            eta = learning_rate(schedule, t, eta0, power_t, alpha, optimal_init)
            Xb = X[rows].astype(np.float64)
            Z = Xb @ W.astype(np.float64).T + b.astype(np.float64)
            _, D = sample_losses(loss, Z, y[rows], mode, epsilon)
            D = D * sample_weight[rows][:, None]
            G = D.T @ Xb / len(rows)
            W_new = max(0.0, 1.0 - eta * l2) * W.astype(np.float64) - eta * G
            if fit_intercept:
                b = (b.astype(np.float64) - eta * D.sum(axis=0) / len(rows)).astype(dtype)
            if average and t >= average:
                W_avg = (W_avg + (W_new - W_avg) / (t - average + 1.0)).astype(dtype)
                b_avg = (b_avg + (b - b_avg) / (t - average + 1.0)).astype(dtype)
            if l1 > 0:
                u += l1 * eta
                before = W_new.copy()
                pos, neg = W_new > 0, W_new < 0
                W_new[pos] = np.maximum(0.0, W_new[pos] - (u + q[pos]))
                W_new[neg] = np.minimum(0.0, W_new[neg] + (u - q[neg]))
                q += W_new - before
            W = W_new.astype(dtype)
            t += 1.0
        trajectory.append((W.copy(), b.copy()))
    return {"coef": W, "intercept": b, "avg_coef": W_avg, "avg_intercept": b_avg, "t": t,
            "trajectory": trajectory}
