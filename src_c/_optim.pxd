# Optimizer update rules for one parameter, written once for every kernel (dense, sparse).
#
# The kernels reduce a batch gradient g (the mean over the batch's rows of the
# sample-weighted loss gradients), optionally clip it (`clip_grad`, and a global-norm
# coefficient computed by the caller), and hand each parameter to `optim_update`, which
# applies one step of the configured optimizer and returns the new value. Formulas and
# defaults follow torch.optim (torch 2.x, single-tensor path), operation by operation, so
# trajectories agree to rounding:
#
#   gradient seen by the optimizer   g' = g + l2 * w                 (coupled L2, 'penalty')
#   SGD + momentum (torch.optim.SGD) b = g' on the first step, else momentum * b + (1 - dampening) g'
#                                    w -= eta * (g' + momentum * b  if nesterov  else  b)
#   Adagrad                          s += g'^2;  w -= eta / (1 + (step - 1) lr_decay) * g' / (sqrt(s) + eps)
#   RMSprop (alpha stored as beta2)  s = beta2 s + (1 - beta2) g'^2;  c = c + (1 - beta2)(g' - c) if centered
#                                    a = sqrt(s - c^2 if centered else s) + eps
#                                    b = momentum b + g'/a; w -= eta b   (w -= eta g'/a without momentum)
#   Adam / AdamW                     w *= 1 - eta * weight_decay        (AdamW's decoupled decay only)
#                                    m = lerp(m, g', 1 - beta1);  v = beta2 v + (1 - beta2) g'^2
#                                    vhat = max(vhat, v) if amsgrad
#                                    w -= eta / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
#
# Plain SGD (PLAIN_SGD) is not handled here: the kernels keep scikit-learn's rule
# w <- max(0, 1 - eta l2) w - eta g unchanged (it is stateless and bit-compatible with
# scikit-learn at batch_size=1). Every rule above is element-wise, so any split of the
# parameters over threads gives bit-identical results.
#
# State: slot i of parameter p lives at s[i * stride] (the caller passes s = state + p and
# stride = number of parameters). Slots per optimizer: see `optim_slots`. State is float64
# whatever the parameters' dtype.
from libc.math cimport sqrt, pow

cdef enum OptimCode:
    PLAIN_SGD = 0
    MOMENTUM = 1       # torch.optim.SGD with momentum > 0 (optionally Nesterov)
    ADAGRAD = 2
    RMSPROP = 3
    ADAM = 4           # Adam; AdamW when weight_decay > 0


cdef struct Optim:
    # hyperparameters, from fastsgd/optimizers.py (lr comes from the schedule)
    int code               # OptimCode
    double momentum        # SGD, RMSprop
    double dampening       # SGD
    int nesterov           # SGD
    double beta1           # Adam
    double beta2           # Adam's beta2, RMSprop's alpha
    double eps             # Adagrad, RMSprop, Adam
    int amsgrad            # Adam
    int centered           # RMSprop
    double lr_decay        # Adagrad
    double weight_decay    # AdamW's decoupled decay
    double clip_value      # clip each gradient component to [-clip_value, clip_value]; 0 = off
    double clip_norm       # rescale the whole gradient to a global L2 norm <= clip_norm; 0 = off


cdef struct OptStep:
    # per-update scalars, the same for every parameter of one group (weights or intercept)
    double eta             # learning rate of this update
    double l2              # coupled L2 strength added to the gradient (0 for the intercept)
    double decay           # decoupled decay factor 1 - eta * weight_decay (1 = none)
    int first              # first optimizer step: momentum buffer starts as the gradient
    double clr             # Adagrad's decayed rate
    double step_size       # Adam: eta / (1 - beta1^step)
    double bc2_sqrt        # Adam: sqrt(1 - beta2^step)


cdef inline Py_ssize_t optim_slots(const Optim* o) noexcept nogil:
    """State arrays per parameter that the optimizer needs (0 for plain SGD)."""
    if o.code == MOMENTUM or o.code == ADAGRAD:
        return 1
    if o.code == RMSPROP:
        return 1 + (1 if o.centered else 0) + (1 if o.momentum > 0.0 else 0)
    if o.code == ADAM:
        return 3 if o.amsgrad else 2
    return 0


cdef inline void optim_scalars(const Optim* o, double eta, double l2, double weight_decay,
                               double step, OptStep* k) noexcept nogil:
    """Fill the per-update scalars; `step` is the 1-based optimizer step of this update."""
    k.eta = eta
    k.l2 = l2
    k.decay = 1.0 - eta * weight_decay
    k.first = step == 1.0
    k.clr = eta / (1.0 + (step - 1.0) * o.lr_decay)
    k.step_size = eta / (1.0 - pow(o.beta1, step))
    k.bc2_sqrt = sqrt(1.0 - pow(o.beta2, step))


cdef inline double clip_grad(double g, double clip_value) noexcept nogil:
    """torch.nn.utils.clip_grad_value_ for one component (clip_value 0 = off)."""
    if clip_value > 0.0:
        if g > clip_value:
            return clip_value
        if g < -clip_value:
            return -clip_value
    return g


cdef inline double clip_norm_coef(double sum_sq, double clip_norm) noexcept nogil:
    """torch.nn.utils.clip_grad_norm_'s factor: min(1, clip_norm / (||g|| + 1e-6))."""
    cdef double c
    if clip_norm <= 0.0:
        return 1.0
    c = clip_norm / (sqrt(sum_sq) + 1e-6)
    return c if c < 1.0 else 1.0


cdef inline double lerp(double a, double b, double weight) noexcept nogil:
    """torch.lerp: a + weight (b - a), evaluated as torch does for each half of [0, 1]."""
    if weight < 0.5:
        return a + weight * (b - a)
    return b - (b - a) * (1.0 - weight)


cdef inline double optim_update(const Optim* o, const OptStep* k, double w, double g,
                                double* s, Py_ssize_t stride) noexcept nogil:
    """One step of the optimizer for one parameter w with loss gradient g (already clipped);
    updates the state slots s[0], s[stride], ... and returns the new w."""
    cdef double a, v
    cdef Py_ssize_t m
    g = g + k.l2 * w
    if o.code == MOMENTUM:
        if k.first:
            s[0] = g
        else:
            s[0] = s[0] * o.momentum + (1.0 - o.dampening) * g
        if o.nesterov:
            g = g + o.momentum * s[0]
        else:
            g = s[0]
        return w - k.eta * g
    if o.code == ADAGRAD:
        s[0] = s[0] + g * g
        return w - k.clr * (g / (sqrt(s[0]) + o.eps))
    if o.code == RMSPROP:
        s[0] = s[0] * o.beta2 + (1.0 - o.beta2) * (g * g)
        if o.centered:
            s[stride] = lerp(s[stride], g, 1.0 - o.beta2)
            a = sqrt(s[0] - s[stride] * s[stride]) + o.eps
        else:
            a = sqrt(s[0]) + o.eps
        if o.momentum > 0.0:
            m = (2 if o.centered else 1) * stride
            s[m] = s[m] * o.momentum + g / a
            return w - k.eta * s[m]
        return w - k.eta * (g / a)
    if o.code == ADAM:
        w = w * k.decay
        s[0] = lerp(s[0], g, 1.0 - o.beta1)
        s[stride] = s[stride] * o.beta2 + (1.0 - o.beta2) * (g * g)
        v = s[stride]
        if o.amsgrad:
            if s[2 * stride] < v:
                s[2 * stride] = v
            v = s[2 * stride]
        return w - k.step_size * (s[0] / (sqrt(v) / k.bc2_sqrt + o.eps))
    return w - k.eta * g
