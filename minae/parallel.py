"""``minae.parallel`` is now ``minae.engine.parallel`` (SplitBatch); this name still works."""

from minae.engine.parallel import (
    ONE_THREAD_VARIABLES,
    SplitBatch,
    auto_threads,
    leaves,
    one_blas_thread,
)

__all__ = ["ONE_THREAD_VARIABLES", "SplitBatch", "auto_threads", "leaves", "one_blas_thread"]
