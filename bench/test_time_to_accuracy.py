"""Time to 0.89 test accuracy on the MNIST test digits (8000 train / 2000 test, softmax), for
each batch size: training seconds with the epoch-end evaluation excluded, in `extra_info`
(`seconds_to_target`, `epochs`); the benchmark's own time is the whole run, evaluation included.
The learning rate per batch size is the best of {0.01, 0.03, 0.1, 0.3, 1} for fastsgd on the
lead's machine; `fastsgd bench` searches the rates for every system."""
import numpy as np
import pytest

from fastsgd.bench.systems import FastSGD, NumpyLoop, TorchLoop

from .settings import FULL

TARGET = 0.89
ETA = {1: 0.03, 8: 0.1, 32: 0.3, 128: 1.0, 512: 1.0, 2048: 1.0}
SYSTEMS = [FastSGD(), NumpyLoop(), TorchLoop()] if FULL else [FastSGD()]


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.name)
@pytest.mark.parametrize("batch_size", sorted(ETA), ids=lambda b: f"B{b}")
def test_time_to_accuracy(benchmark, mnist, batch_size, system):
    if system.available():
        pytest.skip(system.available())
    train, X_test, y_test = mnist
    outcome = {}

    def run():
        accuracies = []

        def on_epoch(predict):
            accuracies.append(float(np.mean(predict(X_test) == y_test)))
            return accuracies[-1] >= TARGET

        timing = system.train(train, batch_size=batch_size, epochs=60, threads=1,
                              eta=ETA[batch_size], on_epoch=on_epoch, time_budget=20.0)
        outcome.update(timing=timing, accuracy=accuracies[-1])

    benchmark.group = f"time to {TARGET} on MNIST"
    benchmark.pedantic(run, rounds=3 if FULL else 1, iterations=1)
    reached = outcome["accuracy"] >= TARGET
    benchmark.extra_info.update({
        "system": system.name, "batch_size": batch_size, "eta": ETA[batch_size],
        "reached": reached, "final_accuracy": outcome["accuracy"],
        "seconds_to_target": outcome["timing"].seconds if reached else None,
        "epochs": outcome["timing"].epochs,
    })
