"""`fastsgd demo`: the three regimes of one engine on scikit-learn's digits.

Trains a 10-class softmax model with batch_size = 1 (SGD), 32 (mini-batch) and N (batch GD)
on standardized digits (1797 x 64, shipped inside scikit-learn: nothing to download), printing
per epoch the iterations, training loss, test accuracy and samples/s.
"""
import numpy as np


def run_demo(epochs=5, seed=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from . import LinearTrainer, show_config
    from .batching import EpochPlan

    show_config()
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=seed)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    n = len(y_train)
    print(f"\ndigits: {n} training / {len(y_test)} test samples, {X.shape[1]} features, "
          f"10 classes, softmax (log_loss), {epochs} epochs\n")

    def test_accuracy(trainer):
        return float(np.mean(trainer.decision_function(X_test).argmax(axis=1) == y_test))

    regimes = [("SGD", 1, 0.01), ("mini-batch GD", 32, 0.1), ("batch GD", n, 0.5)]
    for name, batch_size, eta0 in regimes:
        plan = EpochPlan(n, batch_size)
        print(f"{name}: batch_size={batch_size}, {plan.iterations_per_epoch} iterations per "
              f"epoch, {plan.iterations_for(epochs)} in {epochs} epochs (eta0={eta0})")
        print(f"  {'epoch':>5} {'iterations':>10} {'loss':>9} {'test acc':>8} "
              f"{'samples/s':>12}")

        def report(info):
            print(f"  {info.epoch:>5} {info.iterations:>10} {info.loss:>9.4f} "
                  f"{test_accuracy(info.trainer):>8.3f} {info.samples_per_s:>12,.0f}")

        LinearTrainer("log_loss", penalty="l2", alpha=1e-4, learning_rate="constant",
                      eta0=eta0, batch_size=batch_size, max_iter=epochs, tol=None,
                      random_state=seed, callbacks=[report]).fit(X_train, y_train)
        print()
    return 0
