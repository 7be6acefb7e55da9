"""Loss names, their kernel codes and what kind of target each expects.

The formulas live once, in ``src_c/_losses.pxd`` (compiled) and, written for clarity, in
``fastsgd/_reference/linear.py`` (NumPy); this module only names them.
"""
__all__ = ["REGRESSION_LOSSES", "CLASSIFICATION_LOSSES", "loss_code"]

# name -> code of src_c/_losses.pxd (LossCode)
REGRESSION_LOSSES = {
    "squared_error": 0,
    "huber": 1,
    "epsilon_insensitive": 2,
    "squared_epsilon_insensitive": 3,
}
CLASSIFICATION_LOSSES = {
    "log_loss": 4,
    "hinge": 5,
    "squared_hinge": 6,
    "modified_huber": 7,
    "perceptron": 8,
}
ALL_LOSSES = {**REGRESSION_LOSSES, **CLASSIFICATION_LOSSES}


def loss_code(name):
    """Kernel code of a loss, with a clear error for unknown names."""
    if not isinstance(name, str) or name not in ALL_LOSSES:
        raise ValueError(f"loss must be one of {sorted(ALL_LOSSES)}, got {name!r}.")
    return ALL_LOSSES[name]


def is_classification(name):
    return loss_code(name) in CLASSIFICATION_LOSSES.values()
