"""The base of fastsgd's small configuration objects (optimizers, schedules)."""


class ConfigObject:
    """Hyperparameters named in `_params`: get_params, a readable repr, and equality and
    hashing by type and hyperparameters (so estimators holding them clone and compare)."""

    _params = ()

    def get_params(self):
        return {p: getattr(self, p) for p in self._params}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_params() == other.get_params()

    def __hash__(self):
        return hash((type(self).__name__, repr(self)))
