"""Plain NumPy versions of every kernel, written for clarity; the tests compare the compiled
kernels with them on the same batches."""
