"""fastsgd: fast mini-batch stochastic gradient descent on the CPU.

One engine for SGD (batch_size=1), mini-batch GD and batch GD (batch_size=n_samples), with
compiled kernels (Cython, OpenMP, BLAS), exact epoch/iteration bookkeeping and
scikit-learn-compatible estimators.
"""
__version__ = "0.1.0"

from ._config import show_config
from .batching import EpochPlan
from .linear_model import SGDClassifier, SGDRegressor
from .trainer import DivergenceError, EpochInfo, LinearTrainer

__all__ = ["SGDClassifier", "SGDRegressor", "EpochPlan", "LinearTrainer", "DivergenceError",
           "EpochInfo", "show_config", "__version__"]
