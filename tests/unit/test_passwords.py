from __future__ import annotations

import statistics
import time

from imagepredict.auth.passwords import PasswordHasher


def test_hash_and_verify() -> None:
    hasher = PasswordHasher(rounds=4)
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$2b$04$")
    assert hasher.verify("correct horse battery", stored)
    assert not hasher.verify("correct horse batterY", stored)


def test_overlong_password_is_false_not_an_error() -> None:
    hasher = PasswordHasher(rounds=4)
    stored = hasher.hash("a" * 72)
    assert not hasher.verify("a" * 73, stored)  # bcrypt 5 raises on > 72 bytes; we answer "wrong password"


def test_dummy_check_costs_what_a_real_check_costs() -> None:
    # A security property (unknown emails must not answer faster), not a performance target: at cost 10 a check
    # takes ~60 ms, far above timer noise, and interleaved samples share whatever load the machine has.
    hasher = PasswordHasher(rounds=10)
    stored = hasher.hash("correct horse battery")
    checks = {"real": lambda: hasher.verify("wrong password!", stored), "dummy": lambda: hasher.waste_time("x")}
    samples: dict[str, list[float]] = {"real": [], "dummy": []}
    for _ in range(5):
        for name, check in checks.items():
            started = time.perf_counter()
            check()
            samples[name].append(time.perf_counter() - started)
    ratio = statistics.median(samples["dummy"]) / statistics.median(samples["real"])
    assert 0.6 < ratio < 1.6
