# A package, so that pytest imports bench/conftest.py as bench.conftest (no clash with
# tests/conftest.py) and puts the repository root on sys.path (an in-place build is used).
