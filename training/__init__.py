"""SparrowSNN training pipeline: real data loaders, quantisation-aware training, bundle export."""

__all__ = ["DataError"]


class DataError(RuntimeError):
    """A user-facing data problem (missing, corrupt or unreachable data); one-line message."""
