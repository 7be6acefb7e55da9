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

With a stateful optimizer (fastsgd.optimizers) the step is instead, with G and g_b first
clipped (each component to +-clip_value, then both scaled by min(1, clip_norm / (||(G, g_b)|| +
1e-6))):

    W    = optimizer_step(W, G + l2 W)                 coupled L2 (AdamW: decoupled decay)
    b    = optimizer_step(b, g_b)                      same optimizer, no penalty
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


def learning_rate(schedule, t, eta0, power_t=0.25, alpha=1e-4, optimal_init=0.0, epoch=0):
    if not isinstance(schedule, str):  # a fastsgd.schedules object
        return schedule.rate(eta0, t, epoch, alpha=alpha, optimal_init=optimal_init)
    if schedule == "optimal":
        return 1.0 / (alpha * (optimal_init + t - 1.0))
    if schedule == "invscaling":
        return eta0 / t ** power_t
    return eta0  # constant / adaptive


def new_optimizer_state(opt, shape):
    """Fresh state of a fastsgd.optimizers object for parameters of `shape`."""
    zeros = lambda: np.zeros(shape)  # noqa: E731
    if opt.name == "sgd":
        return {"buf": zeros()}
    if opt.name == "adagrad":
        return {"sum": np.full(shape, float(opt.initial_accumulator_value))}
    if opt.name == "rmsprop":
        return {"square_avg": zeros(), "grad_avg": zeros(), "buf": zeros()}
    return {"m": zeros(), "v": zeros(), "v_max": zeros()}  # adam, adamw


def optimizer_step(opt, w, g, state, eta, step, l2=0.0, weight_decay=0.0):
    """One step of optimizer `opt` (float64 arrays): w, gradient g (without the penalty),
    its state (updated in place), the rate eta and the 1-based step. Returns the new w."""
    g = g + l2 * w
    if opt.name == "sgd":
        m = float(opt.momentum)
        buf = g.copy() if step == 1 else m * state["buf"] + (1.0 - opt.dampening) * g
        state["buf"] = buf
        return w - eta * (g + m * buf if opt.nesterov else buf)
    if opt.name == "adagrad":
        state["sum"] = state["sum"] + g ** 2
        clr = eta / (1.0 + (step - 1) * opt.lr_decay)
        return w - clr * g / (np.sqrt(state["sum"]) + opt.eps)
    if opt.name == "rmsprop":
        a = opt.alpha
        state["square_avg"] = a * state["square_avg"] + (1 - a) * g ** 2
        mean_sq = state["square_avg"]
        if opt.centered:
            state["grad_avg"] = a * state["grad_avg"] + (1 - a) * g
            mean_sq = mean_sq - state["grad_avg"] ** 2
        denom = np.sqrt(mean_sq) + opt.eps
        if opt.momentum > 0:
            state["buf"] = opt.momentum * state["buf"] + g / denom
            return w - eta * state["buf"]
        return w - eta * g / denom
    # Adam / AdamW
    b1, b2 = opt.betas
    w = w * (1.0 - eta * weight_decay)
    state["m"] = b1 * state["m"] + (1 - b1) * g
    state["v"] = b2 * state["v"] + (1 - b2) * g ** 2
    v = state["v"]
    if opt.amsgrad:
        state["v_max"] = np.maximum(state["v_max"], v)
        v = state["v_max"]
    m_hat = state["m"] / (1 - b1 ** step)
    v_hat = v / (1 - b2 ** step)
    return w - eta * m_hat / (np.sqrt(v_hat) + opt.eps)


def clip_gradients(G, g_b, clip_value=None, clip_norm=None):
    """Clip by value, then rescale (G, g_b) to a global L2 norm <= clip_norm."""
    if clip_value is not None:
        G, g_b = np.clip(G, -clip_value, clip_value), np.clip(g_b, -clip_value, clip_value)
    if clip_norm is not None:
        norm = np.sqrt((G ** 2).sum() + (g_b ** 2).sum())
        c = min(1.0, clip_norm / (norm + 1e-6))
        G, g_b = G * c, g_b * c
    return G, g_b


def train(X, y, sample_weight, orders, batch_size, *, loss, mode="single", epsilon=0.1,
          l2=0.0, l1=0.0, fit_intercept=True, schedule="constant", eta0=0.01, power_t=0.25,
          alpha=1e-4, optimal_init=0.0, average=0, coef=None, intercept=None,
          batches_per_epoch=None, optimizer=None):
    """Run one epoch per entry of `orders` (sample orders). Returns final state and the
    (coef, intercept) after every epoch. Parameters are stored in X's dtype; arithmetic is
    float64, as in the kernel. `schedule` is a name or a fastsgd.schedules object (its epoch
    clock is the index in `orders`); `optimizer` None is plain SGD, else a
    fastsgd.optimizers object."""
    X = np.asarray(X)
    dtype = X.dtype
    n, d = X.shape
    K = 1 if mode == "single" else int(np.max(y)) + 1 if coef is None else coef.shape[0]
    W = np.zeros((K, d), dtype=dtype) if coef is None else np.array(coef, dtype=dtype)
    b = np.zeros(K, dtype=dtype) if intercept is None else np.array(intercept, dtype=dtype)
    W_avg, b_avg = W.copy(), b.copy()
    q = np.zeros((K, d))
    t, u = 1.0, 0.0
    plain = optimizer is None or optimizer.is_plain
    clip_value = None if optimizer is None else optimizer.clip_value
    clip_norm = None if optimizer is None else optimizer.clip_norm
    if not plain:
        state_w, state_b = new_optimizer_state(optimizer, W.shape), new_optimizer_state(
            optimizer, b.shape)
        weight_decay = float(getattr(optimizer, "weight_decay", 0.0))
    step = 0
    trajectory = []
    for epoch, order in enumerate(orders):
        n_batches = batches_per_epoch or -(-len(order) // batch_size)
        for start in range(0, n_batches * batch_size, batch_size):
            rows = np.asarray(order[start:start + batch_size])
            eta = learning_rate(schedule, t, eta0, power_t, alpha, optimal_init, epoch)
            Xb = X[rows].astype(np.float64)
            Z = Xb @ W.astype(np.float64).T + b.astype(np.float64)
            _, D = sample_losses(loss, Z, y[rows], mode, epsilon)
            D = D * sample_weight[rows][:, None]
            G = D.T @ Xb / len(rows)
            g_b = D.sum(axis=0) / len(rows)
            G, g_b = clip_gradients(G, g_b if fit_intercept else np.zeros(0), clip_value,
                                    clip_norm)
            step += 1
            if plain:
                W_new = max(0.0, 1.0 - eta * l2) * W.astype(np.float64) - eta * G
                if fit_intercept:
                    b = (b.astype(np.float64) - eta * g_b).astype(dtype)
            else:
                W_new = optimizer_step(optimizer, W.astype(np.float64), G, state_w, eta, step,
                                       l2=l2, weight_decay=weight_decay)
                if fit_intercept:
                    b = optimizer_step(optimizer, b.astype(np.float64), g_b, state_b, eta,
                                       step).astype(dtype)
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
