"""The physical floor: this CPU's measured single-core float32 peak (a large SGEMM) against the model's MACs."""

from __future__ import annotations

import os
import subprocess
import sys

SGEMM = """
import os, time, numpy as np
n = {n}
a = np.random.default_rng(0).random((n, n), dtype=np.float32)
b = np.random.default_rng(1).random((n, n), dtype=np.float32)
a @ b
best = min((lambda s: (a @ b, time.perf_counter() - s)[1])(time.perf_counter()) for _ in range({repeats}))
print(2 * n ** 3 / best / 1e9)
"""


def peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """Best-of-N SGEMM GFLOP/s on one thread (OpenBLAS with AVX2/AVX-512 kernels): a practical peak."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", SGEMM.format(n=n, repeats=repeats)], capture_output=True, text=True, env=env, check=True
    )
    return float(done.stdout.strip())


def floor_ms(macs: int, gflops: float) -> float:
    return 2 * macs / (gflops * 1e9) * 1000
