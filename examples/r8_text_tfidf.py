"""Topic classification of Reuters news (R8) from TF-IDF features with fastsgd's CSR kernel.

    python examples/r8_text_tfidf.py [--data ../shared/data]

Vectorizes the R8 split with scikit-learn's TfidfVectorizer (~20k terms, ~58 non-zeros per
document), trains a multinomial logistic regression and a one-vs-rest linear SVM with
`fastsgd.LinearTrainer` at a few batch sizes, and prints test accuracy, epochs, iterations
and training throughput, next to scikit-learn's SGDClassifier on the same matrix.
"""
import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from fastsgd import LinearTrainer


def read_r8(path):
    labels, texts = [], []
    with open(path) as f:
        next(f)  # header line
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            labels.append(label)
            texts.append(text)
    return np.array(labels), texts


def main():
    default = os.environ.get("FASTSGD_DATA",
                             Path(__file__).resolve().parents[2] / "shared" / "data")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=default, help="folder holding r8/")
    p.add_argument("--epochs", type=int, default=5)
    args = p.parse_args()
    r8 = Path(args.data) / "r8"
    ltr, ttr = read_r8(r8 / "r8-train-all-terms.txt")
    lte, tte = read_r8(r8 / "r8-test-all-terms.txt")

    vec = TfidfVectorizer(sublinear_tf=True)
    X, Xt = vec.fit_transform(ttr), vec.transform(tte)
    # fastsgd wants canonical CSR (sorted, unique column indices per row) and says so
    # otherwise; the vectorizer's output is unsorted, so sort once
    X.sort_indices()
    Xt.sort_indices()
    classes = np.unique(ltr)                 # encode labels as 0..K-1 for the trainer
    y, yt = np.searchsorted(classes, ltr).astype(np.float64), np.searchsorted(classes, lte)
    print(f"R8: {X.shape[0]} train / {Xt.shape[0]} test documents, {X.shape[1]} terms, "
          f"{X.nnz / X.shape[0]:.1f} non-zeros per document, {len(classes)} topics\n")

    def report(name, predict, seconds, n_iter=""):
        acc = (predict(Xt) == yt).mean()
        rate = args.epochs * X.shape[0] / seconds
        print(f"{name:<44} acc {acc:.4f}  {n_iter:>16}  {rate:>11,.0f} samples/s")

    for loss, multi_class, extra in [("log_loss", "multinomial", dict(average=True)),
                                     ("hinge", "ovr", dict(fit_intercept=False))]:
        for batch_size in (1, 16, 128):
            tr = LinearTrainer(loss, alpha=1e-5 if loss == "log_loss" else 1e-4,
                               learning_rate="optimal", batch_size=batch_size,
                               max_iter=args.epochs, tol=None, random_state=0,
                               multi_class=multi_class, **extra)
            t = time.perf_counter()
            tr.fit(X, y)
            seconds = time.perf_counter() - t
            coef, intercept = tr.effective_params()
            report(f"fastsgd {loss} {multi_class} batch_size={batch_size}",
                   lambda A: np.asarray(A @ coef.T + intercept).argmax(axis=1), seconds,
                   f"{tr.n_epochs_} ep/{tr.n_updates_} it")
    clf = SGDClassifier(loss="hinge", alpha=1e-4, max_iter=args.epochs, tol=None,
                        random_state=0, fit_intercept=False)
    t = time.perf_counter()
    clf.fit(X, y)
    report("scikit-learn SGDClassifier hinge (per sample)", clf.predict, time.perf_counter() - t)


if __name__ == "__main__":
    main()
