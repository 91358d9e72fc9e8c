#!/usr/bin/env python3
"""Wall time from process launch to the first epoch line reporting >= 98 % MNIST test accuracy, for mlp4j
(`./mlp4j train`) and the PyTorch peer (`torch_mlp.py`, its own recipe: SGD 0.1, momentum 0.9, batch 128,
constant rate), launched alternately in one sitting so that both see the same machine load.

Usage: docs/time_to_98.py PEER_SCRIPT [ROUNDS]
  PEER_SCRIPT: path to torch_mlp.py (reads the .gz IDX files of data/mnist); run with /usr/bin/python3.
Each run is stopped as soon as its 98 % line appears; prints one line per run, then the medians.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(ROOT, "data", "mnist")


LIMIT_S = 120  # a run still short of 98 % after this long is stopped and reported as such


def time_to_98(cmd, env, is_hit):
    """Seconds from launch to the first stdout line for which is_hit(line) is true (None if never)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd="/tmp")
    timer = threading.Timer(LIMIT_S, p.kill)
    timer.start()
    hit = None
    for line in p.stdout:
        epoch = is_hit(line)
        if epoch:
            hit = (time.perf_counter() - t0, epoch)
            break
    timer.cancel()
    p.kill()
    p.wait()
    return hit


def mlp4j_hit(line):
    m = re.match(r"epoch (\d+)/\d+ .*test_acc\s+([0-9.]+)%", line)
    return int(m.group(1)) if m and float(m.group(2)) >= 98.0 else None


def torch_hit(line):
    try:
        row = json.loads(line)
    except ValueError:
        return None
    return row["epoch"] + 1 if "test_acc" in row and row["test_acc"] >= 0.98 else None


def main():
    peer = os.path.abspath(sys.argv[1])  # the runs start in /tmp
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    env = dict(os.environ)
    runs = {"mlp4j": [], "mlp4j --no-warmup-jit": [], "torch 1 thread": [], "torch 2 threads": []}
    for r in range(rounds):
        for name in runs:
            if name.startswith("mlp4j"):
                cmd = [os.path.join(ROOT, "mlp4j"), "train", "--progress", "plain", "-o", "/tmp/time98.safetensors"]
                cmd += name.split()[1:]
                hit = time_to_98(cmd, env, mlp4j_hit)
            else:
                threads = name.split()[1]
                e = dict(env, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=threads)
                hit = time_to_98(["/usr/bin/python3", peer, MNIST, threads, "128", "20"], e, torch_hit)
            runs[name].append(hit)
            print(f"round {r + 1}  {name:22s} " + (f"{hit[0]:6.2f} s (epoch {hit[1]})" if hit else "never"),
                  flush=True)
    print()
    print("load average while measuring: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))
    for name, hits in runs.items():
        ok = [h[0] for h in hits if h]
        print(f"median  {name:22s} {statistics.median(ok):6.2f} s over {len(ok)} runs" if ok else f"{name}: never")


if __name__ == "__main__":
    main()
