"""Learning-rate schedules.

scikit-learn's four, with t the 1-based update counter (``t_``):

- ``'constant'``: eta = eta0
- ``'optimal'``: eta = 1 / (alpha (t0 + t - 1)), t0 chosen so the first step is about
  1 / sqrt(alpha) (Bottou's heuristic, as in scikit-learn)
- ``'invscaling'``: eta = eta0 / t ** power_t
- ``'adaptive'``: eta0 while the training objective (or validation score) improves; divided by
  5 each time `n_iter_no_change` epochs in a row fail to improve by `tol`.

Per-update schedules are evaluated in closed form inside the compiled kernel; epoch-level
decisions (adaptive) are made in Python.
"""
import numpy as np

__all__ = ["SCHEDULES", "optimal_init"]

# name -> kernel Schedule code (src_c/_linear.pyx); 'adaptive' is constant between decisions
KERNEL_SCHEDULES = {"constant": 0, "optimal": 1, "invscaling": 2, "adaptive": 0}
SCHEDULES = tuple(KERNEL_SCHEDULES)


def optimal_init(loss, alpha, epsilon=0.1):
    """t0 of the 'optimal' schedule, as scikit-learn computes it."""
    from ._reference.linear import column_loss

    typw = np.sqrt(1.0 / np.sqrt(alpha))
    _, dloss = column_loss(loss, np.array([-typw]), np.array([1.0]), epsilon)
    initial_eta0 = typw / max(1.0, float(dloss[0]))
    return 1.0 / (initial_eta0 * alpha)
