#!/usr/bin/env python3
"""Argon2id ceiling: how many password verifications/s this machine can do with the server's
parameters (m=19456 KiB, t=2, p=1), with P processes (default: one per core) for D seconds.

Two implementations are measured, one after the other:
  * argon2-cffi (libargon2, the reference implementation), reported for comparison;
  * the system libsodium through ctypes: the very library the server links for
    crypto_pwhash_str_verify, so the closest like-for-like ceiling, and the one the login
    target is judged against (bench/lib/table.py).
A login verifies (it does not hash), so verification is what is timed; it costs the same as a hash.

Prints one line `BENCHJSON {...}`.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import importlib.util
import json
import multiprocessing as mp
import os
import sys
import time

PASSWORD = b"correct horse battery staple 42"


def _libsodium():
    name = ctypes.util.find_library("sodium")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    if lib.sodium_init() < 0:
        return None
    return lib


def run_argon2_cffi(m: int, t: int, start_at: float, duration: float, out: mp.Queue) -> None:
    from argon2 import PasswordHasher, Type
    ph = PasswordHasher(time_cost=t, memory_cost=m, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)
    encoded = ph.hash(PASSWORD)
    ph.verify(encoded, PASSWORD)  # warm: touch the memory once
    n = 0
    while time.time() < start_at:
        time.sleep(0.005)
    end = start_at + duration
    while time.time() < end:
        ph.verify(encoded, PASSWORD)
        n += 1
    out.put(n)


def run_libsodium(m: int, t: int, start_at: float, duration: float, out: mp.Queue) -> None:
    lib = _libsodium()
    strbytes = lib.crypto_pwhash_strbytes()
    buf = ctypes.create_string_buffer(strbytes)
    alg = lib.crypto_pwhash_alg_argon2id13()
    rc = lib.crypto_pwhash_str_alg(buf, PASSWORD, ctypes.c_ulonglong(len(PASSWORD)),
                                   ctypes.c_ulonglong(t), ctypes.c_size_t(m * 1024), ctypes.c_int(alg))
    assert rc == 0, "crypto_pwhash_str_alg failed"
    encoded = buf.value
    assert lib.crypto_pwhash_str_verify(encoded, PASSWORD, ctypes.c_ulonglong(len(PASSWORD))) == 0
    n = 0
    while time.time() < start_at:
        time.sleep(0.005)
    end = start_at + duration
    while time.time() < end:
        lib.crypto_pwhash_str_verify(encoded, PASSWORD, ctypes.c_ulonglong(len(PASSWORD)))
        n += 1
    out.put(n)


def measure(target, m: int, t: int, procs: int, duration: float) -> float:
    q: mp.Queue = mp.Queue()
    start_at = time.time() + 1.0
    ps = [mp.Process(target=target, args=(m, t, start_at, duration, q)) for _ in range(procs)]
    for p in ps:
        p.start()
    # A process that fails (a broken argon2 module, libsodium refusing) puts nothing: wait for the
    # run's length and a margin, not for ever.
    try:
        total = sum(q.get(timeout=duration + 60) for _ in ps)
    finally:
        for p in ps:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    return total / duration


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--memory-kib", type=int, default=19456)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--duration", type=float, default=10.0)
    args = ap.parse_args()
    result = {"memory_kib": args.memory_kib, "iterations": args.iterations, "procs": args.procs,
              "duration_s": args.duration}
    # Checked here: an ImportError inside the measuring processes would leave measure() waiting.
    if importlib.util.find_spec("argon2") is not None:
        result["argon2_cffi_per_s"] = measure(run_argon2_cffi, args.memory_kib, args.iterations, args.procs, args.duration)
    else:
        result["argon2_cffi_error"] = f"argon2-cffi is not installed for {sys.executable}"
    if _libsodium() is not None:
        result["libsodium_per_s"] = measure(run_libsodium, args.memory_kib, args.iterations, args.procs, args.duration)
    print("BENCHJSON " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
