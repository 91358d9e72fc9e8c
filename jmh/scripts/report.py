#!/usr/bin/env python3
"""Writes docs/performance.md (+ docs/performance.png) from one run of jmh/run.sh.

Usage: report.py RESULTS_DIR OUT_MD [--png OUT_PNG]
RESULTS_DIR holds what run.sh wrote there: jmh-*.json (JMH -rf json), jmh-*.log (console),
sgemm.json (jmh/peers/sgemm_mlp.py --out), torch-b{B}-t{T}-ob{O}.json (torch_mlp.py --json),
env.json (date, profile, JDK, CPU, load). Standard library only; the PNG needs matplotlib and is skipped
(with a note in the report) where it is missing.

Statistics: JMH scores per measurement iteration (all forks); "min" and "median" over those iterations
(for time/op lower is better; throughputs and GFLOP/s are derived from the median and the min time).
Sample-mode rows give JMH's percentiles over every sampled call. Peers: min / median over their trials
(OpenBLAS) or epochs 1.. (PyTorch; epoch 0 is warm-up).
"""
import argparse
import glob
import json
import os
import re
import statistics

# ---- loading -------------------------------------------------------------------------------------------


def load_jmh(d):
    rows = []
    for p in sorted(glob.glob(os.path.join(d, "jmh-*.json"))):
        with open(p) as f:
            txt = f.read().strip()
        if txt:
            rows.extend(json.loads(txt))
    out = []
    for r in rows:
        pm = r["primaryMetric"]
        raw = [x for fork in pm.get("rawData", []) for x in fork]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        out.append(dict(bench=r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1],
                        mode=r["mode"], params=r.get("params", {}), unit=pm["scoreUnit"], score=pm["score"],
                        raw=raw, pct=pm.get("scorePercentiles", {}), alloc=alloc, forks=r.get("forks"),
                        secondary=r.get("secondaryMetrics", {}),
                        jvm_args=r.get("jvmArgs", []), jdk=r.get("jdkVersion"), vm=r.get("vmName"),
                        iter_ns=parse_time(r.get("measurementTime", "1 s"))))
    return out


def parse_time(t):
    v, u = t.split()
    return float(v) * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "min": 60e9}[u]


def allocates(r):
    """True when the B/op figure is a real per-call allocation rather than JMH's own: JMH allocates a few
    KB per iteration itself, which -prof gc spreads over the calls, so slow calls (few per iteration) show
    some B/op without allocating. Real: >= 16 B/op (one object) AND >= 64 KiB per iteration."""
    a = r["alloc"]
    if a is None or r["mode"] != "avgt":
        return False
    ops = r["iter_ns"] / to_ns(r["score"], r["unit"])
    return a >= 16 and a * ops >= 64 * 1024


def to_ns(v, unit):
    u = unit.split("/")[0]
    return v * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[u]


def stats_ns(r):
    """(min, median) time per op in ns: over iterations (avgt) or from percentiles (sample)."""
    if r["mode"] == "sample":
        return to_ns(float(r["pct"]["0.0"]), r["unit"]), to_ns(float(r["pct"]["50.0"]), r["unit"])
    xs = r["raw"] or [r["score"]]
    return to_ns(min(xs), r["unit"]), to_ns(statistics.median(xs), r["unit"])


def find(rows, bench, mode="avgt", **params):
    for r in rows:
        if r["bench"] == bench and r["mode"] == mode and all(str(r["params"].get(k)) == str(v)
                                                             for k, v in params.items()):
            return r
    return None


def load_sgemm(d):
    p = os.path.join(d, "sgemm.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def sgemm_gflops(sg, threads, key):
    """(min, median) GFLOP/s of OpenBLAS for op key like 'B128 L1 fwd Z=A*W^T'."""
    if not sg:
        return None
    r = sg["by_threads"].get(str(threads))
    if not r:
        return None
    xs = [t["ops"][key]["gflops"] for t in r["trials"] if key in t["ops"]]
    return (min(xs), statistics.median(xs)) if xs else None


def load_torch(d):
    runs = []
    for p in sorted(glob.glob(os.path.join(d, "torch-*.json"))):
        with open(p) as f:
            s = json.load(f)
        eps = [e for e in s["epochs"] if e["epoch"] >= 1] or s["epochs"]
        sps = [e["samples_per_s"] for e in eps]
        c = s["config"]
        runs.append(dict(batch=c["batch"], torch_threads=c["torch_threads"],
                         ob_threads=c.get("OPENBLAS_NUM_THREADS"), version=c["torch_version"],
                         min=min(sps), median=statistics.median(sps), max=max(sps), n=len(sps),
                         acc=s["epochs"][-1]["test_acc"], other=max(e["other_load"] for e in eps)))
    return runs


# ---- formatting ------------------------------------------------------------------------------------------


def fns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fnum(x, prec=0):
    if x is None:
        return "–"
    if prec == 0:
        return f"{x:,.0f}"
    return f"{x:,.{prec}f}"


def falloc(a, r=None):
    if a is None:
        return "–"
    txt = f"{a:.2f}" if a < 10 else f"{a:,.0f}"
    if r is not None and a >= 1 and not allocates(r):
        txt += " (≈0)"
    return txt


def verdict(ok):
    return "**met**" if ok else "**missed**"


GEMM_KEYS = {"gemmForward": "fwd Z=A*W^T", "gemmBackwardInput": "bwd dA=dZ*W", "gemmWeightGradient": "bwd dW=dZ^T*A"}
MNIST_LAYERS = {"784x256": "L1", "256x128": "L2", "128x10": "L3"}


def peak_gflops(rows, kernel_names):
    """(median, best) GFLOP/s of PeakFmaBenchmark.fmaPeak: 2*4096*12*lanes FLOP per call, lanes from the
    Vector API kernels' name (vector-512 -> 16 lanes)."""
    r = next((r for r in rows if r["bench"] == "PeakFmaBenchmark.fmaPeak" and r["mode"] == "avgt"), None)
    if r is None:
        return None
    bits = int(kernel_names[0].split("-")[1]) if kernel_names else 256
    f = 2.0 * 4096 * 12 * bits // 32
    mn, md = stats_ns(r)
    return f / md, f / mn


def pct_peak(gflops, peak):
    return f"{100 * gflops / peak[0]:.0f} %" if peak else "–"


def flop(bench, params):
    i, o = (int(x) for x in params["layer"].split("x"))
    b = int(params.get("batch", 1))
    return 2.0 * b * i * o


# ---- report ----------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("out_md")
    ap.add_argument("--png", default="")
    a = ap.parse_args()
    rows = load_jmh(a.results)
    sg = load_sgemm(a.results)
    torch_runs = load_torch(a.results)
    with open(os.path.join(a.results, "env.json")) as f:
        env = json.load(f)
    kernel_names = sorted(set(re.findall(r"using Vector API kernels \(([^)]+)\)",
                                         "".join(open(p).read() for p in glob.glob(os.path.join(a.results, "jmh-*.log"))))))
    species_file = os.path.join(a.results, "vector-species.txt")
    if not kernel_names and os.path.exists(species_file):  # the kernels' own log line is below INFO since 12/2026
        kernel_names = [l.strip() for l in open(species_file) if l.strip().startswith("vector-")][:1]

    L = []
    w = L.append
    w("# mlp4j performance report")
    w("")
    w(f"Generated by `jmh/run.sh {env['profile']}` on {env['date']}. **Shared machine**: a virtual machine whose "
      f"{env['nproc']} cores other work may use (load average {env['load_before']} before this run, "
      f"{env['load_after']} after, the run itself included), so absolute figures vary from run to run: compare "
      "figures from the same run only. Every peer ran in the same run as mlp4j.")
    w("")
    w(f"- **CPU**: {env['cpu_model']} — {env['nproc']} cores (KVM guest); SIMD flags: {env['cpu_simd']}")
    w(f"- **JDK**: {env['java_version']}")
    w(f"- **mlp4j kernels**: {', '.join(kernel_names) or 'see jmh logs'} (Vector API) and scalar; JMH {env.get('jmh', '1.37')}, "
      f"profile `{env['profile']}`: {env['jmh_opts']}")
    if sg:
        ob = next(iter(sg["by_threads"].values()))["openblas"]
        w(f"- **OpenBLAS** (numpy {next(iter(sg['by_threads'].values()))['numpy']}): {ob.get('config')}, "
          f"core `{ob.get('corename')}`, via `{sg.get('python')}`")
    if torch_runs:
        w(f"- **PyTorch** {torch_runs[0]['version']} (Debian, OpenBLAS backend)")
    w(f"- **ONNX Runtime Java** {env.get('onnxruntime', '?')} (CPU execution provider, all graph optimisations, "
      "sequential, intra-op threads = `ortThreads`)")
    peak = peak_gflops(rows, kernel_names)
    if peak:
        w(f"- **FP32 FMA peak of one core** (`PeakFmaBenchmark`, Vector API, {kernel_names[0] if kernel_names else '?'}): "
          f"{peak[0]:.1f} GFLOP/s median, {peak[1]:.1f} best; every \"% of peak\" below divides by the median")
    w("")
    w("Statistics: *min* and *median* over JMH measurement iterations (all forks); throughputs and GFLOP/s are "
      "derived from those times (best = from the min time). Ratios use medians. Allocation is JMH `-prof gc` "
      "`gc.alloc.rate.norm` in B/op; JMH's own per-iteration allocation spread over few slow calls shows as a "
      "few B/op, marked (≈0): a figure counts as allocation only at ≥ 16 B/op and ≥ 64 KiB per iteration. "
      "On a loaded machine average time includes the time the benchmark thread waits for a core; "
      "sample mode's p50 is the more robust latency figure here.")
    w("")

    # -- targets --------------------------------------------------------------------------------------------
    targets = []
    chart = {"lat": [], "gemm": [], "train": []}
    for net, tgt in (("mnist", 0.6), ("tiny", 0.1)):
        m = find(rows, "InferenceBenchmark.predict", net=net, kernels="vector")
        o = find(rows, "OnnxRuntimeBenchmark.predict", net=net)
        ot = find(rows, "OnnxRuntimeBenchmark.predictTypical", net=net)
        s = find(rows, "InferenceBenchmark.predict", net=net, kernels="scalar")
        if m and o:
            mm, om = stats_ns(m)[1], stats_ns(o)[1]
            r = mm / om
            ms = find(rows, "InferenceBenchmark.predict", "sample", net=net, kernels="vector")
            osm = find(rows, "OnnxRuntimeBenchmark.predict", "sample", net=net)
            p50 = ""
            if ms and osm:
                a50, b50 = stats_ns(ms)[1], stats_ns(osm)[1]
                p50 = f"; sample-mode p50 {fns(a50)} vs {fns(b50)} = {a50 / b50:.2f}×"
            targets.append((f"{net} net single-sample latency vs ONNX Runtime Java (reused tensors)",
                            f"avgt {fns(mm)} vs {fns(om)}{p50}", f"{r:.2f}×", f"≤ {tgt}×", verdict(r <= tgt)))
            chart["lat"].append((net, mm, stats_ns(s)[1] if s else None, om, stats_ns(ot)[1] if ot else None))
    for label, bench, cond in (("inference `predict`", "InferenceBenchmark.predict", lambda p: True),
                               ("inference `predictBatch`", "InferenceBenchmark.predictBatch128", lambda p: True),
                               ("training step, 1 thread", "TrainingBenchmark.step", lambda p: p.get("threads") == "1"),
                               ("training step, 2 threads", "TrainingBenchmark.step", lambda p: p.get("threads") == "2")):
        rs = [r for r in rows if r["bench"] == bench and r["mode"] == "avgt" and r["alloc"] is not None and cond(r["params"])]
        if not rs:
            continue
        real = [r for r in rs if allocates(r)]
        if real:
            worst = max(real, key=lambda r: r["alloc"])
            txt = (f"{len(real)} of {len(rs)} configurations allocate; worst {falloc(worst['alloc'])} B/op ("
                   + ", ".join(f"{k}={v}" for k, v in worst["params"].items()) + ")")
        else:
            txt = f"0 B/op in all {len(rs)} configurations (max reading {falloc(max(r['alloc'] for r in rs))} B/op = JMH's own)"
        targets.append((f"allocation, {label}", txt, "", "≈ 0 B/op", verdict(not real)))
    gemm_ratios = []
    for r in rows:
        if r["bench"].split(".")[-1] in GEMM_KEYS and r["bench"].startswith("GemmBenchmark.") \
                and r["params"].get("kernels") == "vector" and r["params"]["layer"] in MNIST_LAYERS:
            kern = r["bench"].split(".")[1]
            key = f"B{r['params']['batch']} {MNIST_LAYERS[r['params']['layer']]} {GEMM_KEYS[kern]}"
            ob = sgemm_gflops(sg, 1, key)
            if ob:
                g = flop(r["bench"], r["params"]) / stats_ns(r)[1]
                gemm_ratios.append((key, g, ob[1], g / ob[1]))
                chart["gemm"].append((key, g, ob[1]))
    if gemm_ratios:
        met = sum(1 for x in gemm_ratios if x[3] >= 0.95)
        tot_m = sum(1 / x[1] for x in gemm_ratios)
        tot_o = sum(1 / x[2] for x in gemm_ratios)
        worst = min(gemm_ratios, key=lambda x: x[3])
        targets.append(("matrix kernels vs OpenBLAS sgemm, 1 thread, MNIST shapes",
                        f"{met} of {len(gemm_ratios)} shapes ≥ 0.95×; worst {worst[0]} {worst[3]:.2f}×",
                        f"{min(x[3] for x in gemm_ratios):.2f}–{max(x[3] for x in gemm_ratios):.2f}×", "≥ 0.95×",
                        verdict(met == len(gemm_ratios))))
    best_torch = {}
    for t in torch_runs:
        if t["batch"] not in best_torch or t["median"] > best_torch[t["batch"]]["median"]:
            best_torch[t["batch"]] = t
    for b in sorted({int(r["params"]["batch"]) for r in rows if r["bench"] == "TrainingBenchmark.step"}):
        cands = [r for r in rows if r["bench"] == "TrainingBenchmark.step" and int(r["params"]["batch"]) == b
                 and r["params"]["kernels"] == "vector"]
        if not cands:
            continue
        best = min(cands, key=lambda r: stats_ns(r)[1])
        sps = b / stats_ns(best)[1] * 1e9
        t = best_torch.get(b)
        if t:
            ratio = sps / t["median"]
            targets.append((f"training throughput, batch {b} (mlp4j best threads = {best['params']['threads']} vs "
                            f"PyTorch best = torch {t['torch_threads']} / OpenBLAS {t['ob_threads']} threads)",
                            f"{fnum(sps)} vs {fnum(t['median'])} samples/s", f"{ratio:.2f}×", "≥ 1.5×",
                            verdict(ratio >= 1.5)))
        chart["train"].append((b, sps, t["median"] if t else None))
    for net, tgt in (("mnist", 1.05), ("tiny", 1.5)):
        m = find(rows, "InferenceBenchmark.predictBatch128", net=net, kernels="vector")
        o = find(rows, "OnnxRuntimeBenchmark.predictBatch128", net=net)
        if m and o:
            r = stats_ns(o)[1] / stats_ns(m)[1]
            targets.insert(0, (f"{net} net batch-128 inference throughput vs ONNX Runtime Java, 1 thread",
                               f"{fns(stats_ns(m)[1])} vs {fns(stats_ns(o)[1])} per batch", f"{r:.2f}×",
                               f"≥ {tgt}×", verdict(r >= tgt)))
    w("## Targets")
    w("")
    w("| target | measured (median) | ratio | goal | status |")
    w("|---|---|---|---|---|")
    for t in targets:
        w("| " + " | ".join(t) + " |")
    w("")

    # -- inference ------------------------------------------------------------------------------------------
    w("## Single-sample inference latency")
    w("")
    w("`InferenceBenchmark.predict` (mlp4j, allocation-free `predict`) and `OnnxRuntimeBenchmark.predict` "
      "(input/output tensors reused, output pinned) / `predictTypical` (tensor from `float[][]` per call), "
      "same weights, outputs checked against PyTorch at setup. Percentiles from sample mode (each call timed; "
      "includes ~20–30 ns of timer overhead).")
    w("")
    w("| net | engine | min | median | p50 | p90 | p99 | p99.9 | B/op | vs ORT (median) |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for net in ("tiny", "mnist"):
        o = find(rows, "OnnxRuntimeBenchmark.predict", net=net)
        om = stats_ns(o)[1] if o else None
        for label, bench, params in (("mlp4j vector", "InferenceBenchmark.predict", dict(kernels="vector")),
                                     ("mlp4j scalar", "InferenceBenchmark.predict", dict(kernels="scalar")),
                                     ("mlp4j Predictor fp32", "PredictorBenchmark.predict", dict(precision="FLOAT32")),
                                     ("mlp4j Predictor bf16", "PredictorBenchmark.predict", dict(precision="BFLOAT16")),
                                     ("ONNX Runtime (reused tensors)", "OnnxRuntimeBenchmark.predict", {}),
                                     ("ONNX Runtime (typical)", "OnnxRuntimeBenchmark.predictTypical", {})):
            r = find(rows, bench, net=net, **params)
            if not r:
                continue
            sm = find(rows, bench, "sample", net=net, **params)
            mn, md = stats_ns(r)
            p = sm["pct"] if sm else {}
            pc = [fns(to_ns(float(p[k]), sm["unit"])) if k in p else "–" for k in ("50.0", "90.0", "99.0", "99.9")]
            ratio = f"{md / om:.2f}×" if om else "–"
            w(f"| {net} | {label} | {fns(mn)} | {fns(md)} | " + " | ".join(pc) + f" | {falloc(r['alloc'], r)} | {ratio} |")
    w("")

    w("## Single sample on real MNIST test images")
    w("")
    w("`MnistImageBenchmark.predict`: the MNIST net above, each call the next of the first 1,024 MNIST test "
      "images, copied into the engine's input (mlp4j's `float[]`, ONNX Runtime's pinned direct buffer). mlp4j "
      "leaves out the blank stretches of an image (exactly; about 60 % of the first layer's k-steps); ONNX "
      "Runtime's time does not depend on the values. Uniform random inputs (the table above) have no zeros.")
    w("")
    w("| engine | min | median | p50 | p90 | p99 | p99.9 | B/op | vs ORT (median) | vs ORT (p50) |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    o = find(rows, "MnistImageBenchmark.predict", engine="onnxruntime")
    osm = find(rows, "MnistImageBenchmark.predict", "sample", engine="onnxruntime")
    om = stats_ns(o)[1] if o else None
    op50 = to_ns(float(osm["pct"]["50.0"]), osm["unit"]) if osm and "50.0" in osm["pct"] else None
    for label, eng in (("mlp4j Network (vector)", "network"), ("mlp4j Predictor fp32", "predictor-fp32"),
                       ("mlp4j Predictor bf16", "predictor-bf16"), ("ONNX Runtime (reused tensors)", "onnxruntime")):
        r = find(rows, "MnistImageBenchmark.predict", engine=eng)
        if not r:
            continue
        sm = find(rows, "MnistImageBenchmark.predict", "sample", engine=eng)
        mn, md = stats_ns(r)
        p = sm["pct"] if sm else {}
        pc = [fns(to_ns(float(p[k]), sm["unit"])) if k in p else "–" for k in ("50.0", "90.0", "99.0", "99.9")]
        p50 = to_ns(float(p["50.0"]), sm["unit"]) if "50.0" in p else None
        ratio = f"{md / om:.2f}×" if om else "–"
        ratio50 = f"{p50 / op50:.2f}×" if p50 and op50 else "–"
        w(f"| {label} | {fns(mn)} | {fns(md)} | " + " | ".join(pc) + f" | {falloc(r['alloc'], r)} | {ratio} | {ratio50} |")
    w("")

    w("## Batched inference throughput (batch 128)")
    w("")
    w("| net | engine | time/batch min | median | samples/s (median) | best | B/op | vs ORT |")
    w("|---|---|---|---|---|---|---|---|")
    for net in ("tiny", "mnist"):
        o = find(rows, "OnnxRuntimeBenchmark.predictBatch128", net=net)
        osps = 128 / stats_ns(o)[1] * 1e9 if o else None
        for label, bench, params in (("mlp4j vector", "InferenceBenchmark.predictBatch128", dict(kernels="vector")),
                                     ("mlp4j scalar", "InferenceBenchmark.predictBatch128", dict(kernels="scalar")),
                                     ("mlp4j Predictor fp32", "PredictorBenchmark.predictBatch128",
                                      dict(precision="FLOAT32")),
                                     ("mlp4j Predictor bf16", "PredictorBenchmark.predictBatch128",
                                      dict(precision="BFLOAT16")),
                                     ("ONNX Runtime", "OnnxRuntimeBenchmark.predictBatch128", {})):
            r = find(rows, bench, net=net, **params)
            if not r:
                continue
            mn, md = stats_ns(r)
            sps = 128 / md * 1e9
            ratio = f"{sps / osps:.2f}×" if osps else "–"
            w(f"| {net} | {label} | {fns(mn)} | {fns(md)} | {fnum(sps)} | {fnum(128 / mn * 1e9)} | {falloc(r['alloc'], r)} | {ratio} |")
    w("")
    o = find(rows, "MnistImageBenchmark.predictBatch128", engine="onnxruntime")
    if o:
        w("Batch 128 of real MNIST test images (`MnistImageBenchmark.predictBatch128`: each call the next of 8 "
          "batches of the first 1,024 test images, each batch in its own input array or ONNX Runtime tensor). "
          "mlp4j leaves out the stretches of the first layer's k where all of a block of 6 images (4 with 16 vector registers) are blank "
          "(exactly; about a third of it); ONNX Runtime's time does not depend on the values.")
        w("")
        w("| engine | time/batch min | median | samples/s (median) | best | B/op | vs ORT |")
        w("|---|---|---|---|---|---|---|")
        osps = 128 / stats_ns(o)[1] * 1e9
        for label, eng in (("mlp4j Network (vector)", "network"), ("mlp4j Predictor fp32", "predictor-fp32"),
                           ("mlp4j Predictor bf16", "predictor-bf16"), ("ONNX Runtime", "onnxruntime")):
            r = find(rows, "MnistImageBenchmark.predictBatch128", engine=eng)
            if not r:
                continue
            mn, md = stats_ns(r)
            sps = 128 / md * 1e9
            w(f"| {label} | {fns(mn)} | {fns(md)} | {fnum(sps)} | {fnum(128 / mn * 1e9)} | {falloc(r['alloc'], r)} | {sps / osps:.2f}× |")
        w("")

    # -- interleaved in one JVM (HeadToHead) ----------------------------------------------------------------
    h2h = []
    for path in sorted(glob.glob(os.path.join(a.results, "h2h-*.json"))):
        with open(path) as f:
            h2h.append(json.load(f))
    if h2h:
        w("## Interleaved with ONNX Runtime in one JVM")
        w("")
        w("`org.mlp4j.jmh.HeadToHead` (not JMH): every engine on the same net, weights and input in one JVM, after "
          "a warm-up, in rounds that time each engine in turn as the best of its calls; the ratio to ONNX Runtime "
          "is taken within each round, so that a slow second of a shared machine slows both sides of a ratio. "
          "Batches: throughput ratio (above 1: faster than ONNX Runtime); one sample: latency ratio (below 1: "
          "faster).")
        w("")
        w("| net | what | rounds × calls | engine | best | median of rounds | vs ORT: median of rounds (min–max) |")
        w("|---|---|---|---|---|---|---|")
        names = {"onnxruntime": "ONNX Runtime", "network": "mlp4j Network", "predictor-fp32": "mlp4j Predictor fp32",
                 "predictor-bf16": "mlp4j Predictor bf16"}
        for h in sorted(h2h, key=lambda h: (h["net"] != "mnist", h["mode"])):
            what = "batch of 128" if h["mode"] == "batch" else "one sample"
            for e in h["engines"]:
                ratio = ("1.00×" if e["engine"] == "onnxruntime"
                         else f"{e['ratio_median']:.2f}× ({e['ratio_min']:.2f}–{e['ratio_max']:.2f})")
                w(f"| {h['net']} | {what} | {h['rounds']} × {h['reps']} | {names.get(e['engine'], e['engine'])} | "
                  f"{fns(e['best_ns'])} | {fns(e['median_ns'])} | {ratio} |")
        w("")

    # -- serving --------------------------------------------------------------------------------------------
    serving = [r for r in rows if r["bench"].startswith("PredictorBenchmark.")]
    if serving:
        w("## Serving: shared predictor, hot swap")
        w("")
        w("`PredictorBenchmark`: `shared1`/`shared2` are the request rates (calls/s, summed over threads) of 1 "
          "and 2 threads sharing one `Predictor`; `publish` the time to publish the network's weights; "
          "`swapServer` the latency of calls while another thread publishes back to back (sample mode).")
        w("")
        w("| net | weights | 1 thread calls/s | 2 threads calls/s | 2 / 1 | publish | calls during publishes p50 / p99 / p99.9 |")
        w("|---|---|---|---|---|---|---|")
        for net in ("tiny", "mnist"):
            for prec in ("FLOAT32", "BFLOAT16"):
                s1 = find(rows, "PredictorBenchmark.shared1", "thrpt", net=net, precision=prec)
                s2 = find(rows, "PredictorBenchmark.shared2", "thrpt", net=net, precision=prec)
                pb = find(rows, "PredictorBenchmark.publish", net=net, precision=prec)
                group = find(rows, "PredictorBenchmark.swap", "sample", net=net, precision=prec)
                sw = group["secondary"].get("swapServer") if group else None  # the serving thread of the group
                if not (s1 or s2 or pb or sw):
                    continue
                rate = lambda r: fnum(r["score"]) if r else "–"
                ratio = f"{s2['score'] / s1['score']:.2f}×" if s1 and s2 else "–"
                pub = fns(stats_ns(pb)[1]) if pb else "–"
                if sw:
                    p = sw.get("scorePercentiles", {})
                    lat = " / ".join(fns(to_ns(float(p[k]), sw["scoreUnit"])) if k in p else "–"
                                     for k in ("50.0", "99.0", "99.9"))
                else:
                    lat = "–"
                w(f"| {net} | {prec.lower()} | {rate(s1)} | {rate(s2)} | {ratio} | {pub} | {lat} |")
        w("")

    # -- training -------------------------------------------------------------------------------------------
    w("## Training step (MNIST net, cross-entropy, SGD momentum 0.9)")
    w("")
    w("`TrainingBenchmark.step`: one `Trainer.step` (validation, forward, backward, gradient norm, update). "
      "PyTorch: `jmh/peers/torch_mlp.py`, same net/loss/optimizer on MNIST, samples/s per epoch "
      "(epochs 1.., data gather included).")
    w("")
    w("| batch | engine | threads | time/step min | median | samples/s (median) | best | B/op | vs best PyTorch |")
    w("|---|---|---|---|---|---|---|---|---|")
    for b in sorted({int(r["params"]["batch"]) for r in rows if r["bench"] == "TrainingBenchmark.step"} | set(best_torch)):
        t = best_torch.get(b)
        for r in sorted([r for r in rows if r["bench"] == "TrainingBenchmark.step" and int(r["params"]["batch"]) == b],
                        key=lambda r: (r["params"]["kernels"] != "vector", r["params"]["threads"])):
            mn, md = stats_ns(r)
            sps = b / md * 1e9
            ratio = f"{sps / t['median']:.2f}×" if t else "–"
            w(f"| {b} | mlp4j {r['params']['kernels']} | {r['params']['threads']} | {fns(mn)} | {fns(md)} | "
              f"{fnum(sps)} | {fnum(b / mn * 1e9)} | {falloc(r['alloc'], r)} | {ratio} |")
        for tr in sorted([x for x in torch_runs if x["batch"] == b], key=lambda x: (x["torch_threads"], x["ob_threads"])):
            w(f"| {b} | PyTorch (OpenBLAS threads {tr['ob_threads']}) | {tr['torch_threads']} | "
              f"{fns(b / tr['max'] * 1e9)} | {fns(b / tr['median'] * 1e9)} | {fnum(tr['median'])} | {fnum(tr['max'])} | – | " +
              ("best" if t is tr else "%.2f×" % (tr["median"] / t["median"])) + " |")
    if sg:
        r1 = sg["by_threads"].get("1")
        if r1:
            w("")
            w("OpenBLAS lower bound for a BLAS-based step (all 9 GEMMs back to back, 1 thread, samples/s min / median): " +
              "; ".join(f"{k}: {fnum(min(t['step'][k]['samples_per_s'] for t in r1['trials']))} / "
                        f"{fnum(statistics.median(t['step'][k]['samples_per_s'] for t in r1['trials']))}"
                        for k in r1["trials"][0]["step"] if k.endswith("all9")))
    w("")

    # -- kernels --------------------------------------------------------------------------------------------
    w("## Kernels (one thread)")
    w("")
    w("### Fused matvec (one sample, bias + ReLU): `packedForward`, what `predict` runs")
    w("")
    w("| layer in×out | kernel | kernels | min | median | GFLOP/s (median) | best | B/op |")
    w("|---|---|---|---|---|---|---|---|")
    for r in sorted([r for r in rows if r["bench"].startswith("MatvecBenchmark.")],
                    key=lambda r: (int(r["params"]["layer"].split("x")[0]) * int(r["params"]["layer"].split("x")[1]),
                                   r["params"]["layer"], r["params"]["kernels"] != "vector")):
        mn, md = stats_ns(r)
        f = flop(r["bench"], r["params"])
        w(f"| {r['params']['layer']} | {r['bench'].split('.')[1]} | {r['params']['kernels']} | {fns(mn)} | {fns(md)} | {f / md:.1f} | {f / mn:.1f} | {falloc(r['alloc'], r)} |")
    w("")
    w("### Mini-batch matrix kernels vs OpenBLAS sgemm (same shapes)")
    w("")
    w("FLOP = 2·batch·in·out per call. OpenBLAS: `sgemm_mlp.py`, OPENBLAS_NUM_THREADS=1, min / median over trials.")
    w("")
    w("| kernel (sgemm op) | layer in×out | batch | kernels | min | median | GFLOP/s (median) | % of peak | best | OpenBLAS GFLOP/s min / median | ratio | B/op |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    order = {"gemmForward": 0, "gemmBackwardInput": 1, "gemmWeightGradient": 2}
    for r in sorted([r for r in rows if r["bench"].startswith("GemmBenchmark.") and r["bench"].split(".")[1] in order],
                    key=lambda r: (order[r["bench"].split(".")[1]], r["params"]["layer"], int(r["params"]["batch"]),
                                   r["params"]["kernels"] != "vector")):
        kern = r["bench"].split(".")[1]
        mn, md = stats_ns(r)
        f = flop(r["bench"], r["params"])
        ob = None
        if r["params"]["layer"] in MNIST_LAYERS:
            ob = sgemm_gflops(sg, 1, f"B{r['params']['batch']} {MNIST_LAYERS[r['params']['layer']]} {GEMM_KEYS[kern]}")
        obs = f"{ob[0]:.1f} / {ob[1]:.1f}" if ob else "–"
        ratio = f"{f / md / ob[1]:.2f}×" if ob else "–"
        w(f"| {kern} ({GEMM_KEYS[kern]}) | {r['params']['layer']} | {r['params']['batch']} | {r['params']['kernels']} | "
          f"{fns(mn)} | {fns(md)} | {f / md:.1f} | {pct_peak(f / md, peak)} | {f / mn:.1f} | {obs} | {ratio} | {falloc(r['alloc'], r)} |")
    w("")
    packs = [r for r in rows if r["bench"] == "GemmBenchmark.packWeights"]
    if packs:
        w("Packing a layer for `gemmForward` (`GemmBenchmark.packWeights`; inference packs once per parameter "
          "version; a training step repacks the rows each update task has changed, inside `TrainingBenchmark.step`):")
        w("")
        w("| layer in×out | kernels | batch (unused) | min | median | B/op |")
        w("|---|---|---|---|---|---|")
        for r in sorted(packs, key=lambda r: (r["params"]["layer"], r["params"]["kernels"], int(r["params"]["batch"]))):
            mn, md = stats_ns(r)
            w(f"| {r['params']['layer']} | {r['params']['kernels']} | {r['params']['batch']} | {fns(mn)} | {fns(md)} | {falloc(r['alloc'], r)} |")
        w("")
    if sg:
        for th, r in sg["by_threads"].items():
            sq = [f"{k}: {statistics.median(t['ops'][k]['gflops'] for t in r['trials']):.1f}"
                  for k in r["trials"][0]["ops"] if k.startswith("square")]
            w(f"OpenBLAS {th} thread(s), square sgemm GFLOP/s (median): {'; '.join(sq)}; "
              f"{len(r['trials'])} trials, max other-process load {max(t['other_load'] for t in r['trials']):.2f} cores.")
        w("")

    # -- chart ----------------------------------------------------------------------------------------------
    png_note = ""
    if a.png:
        try:
            chart_png(chart, a.png)
            png_note = f"![mlp4j vs peers]({os.path.basename(a.png)})"
        except ImportError:
            png_note = "(chart skipped: matplotlib missing; `apt-get install python3-matplotlib`)"
    if png_note:
        w("## Chart")
        w("")
        w(png_note)
        w("")

    w("## Reproduce")
    w("")
    w("```")
    w("jmh/run.sh quick   # ~11 min on 2 cores: 1 fork, short iterations, vector kernels for GEMM/training")
    w("jmh/run.sh full    # every parameter, 2 forks, longer iterations, peers with more trials and both thread counts")
    w("```")
    w("")
    w("Raw results (JMH JSON and logs, peer JSON) of this run were in `" + env["results_dir"] + "` (not committed). "
      "Benchmarks alone: `java -jar jmh/target/benchmarks.jar -prof gc` (see `jmh/README.md`).")
    os.makedirs(os.path.dirname(os.path.abspath(a.out_md)), exist_ok=True)
    with open(a.out_md, "w") as f:
        f.write("\n".join(L) + "\n")
    print(f"wrote {a.out_md}" + (f" and {a.png}" if png_note.startswith("!") else ""))


def chart_png(chart, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    ax = axes[0]
    if chart["lat"]:
        nets = [c[0] for c in chart["lat"]]
        series = [("mlp4j vector", [c[1] for c in chart["lat"]]), ("mlp4j scalar", [c[2] for c in chart["lat"]]),
                  ("ONNX Runtime (reused tensors)", [c[3] for c in chart["lat"]]),
                  ("ONNX Runtime (typical)", [c[4] for c in chart["lat"]])]
        wdt = 0.2
        for i, (lab, vals) in enumerate(series):
            xs = [j + (i - 1.5) * wdt for j in range(len(nets))]
            ax.bar(xs, [(v or 0) / 1e3 for v in vals], wdt, label=lab)
        ax.set_xticks(range(len(nets)))
        ax.set_xticklabels([f"{n} net" for n in nets])
        ax.set_yscale("log")
        ax.set_ylabel("µs per sample (median, log; lower is better)")
        ax.set_title("Single-sample latency")
        ax.legend(fontsize=8)
    ax = axes[1]
    if chart["gemm"]:
        labels = [c[0].replace(" Z=A*W^T", "").replace(" dA=dZ*W", " dA").replace(" dW=dZ^T*A", " dW") for c in chart["gemm"]]
        xs = range(len(labels))
        ax.bar([x - 0.2 for x in xs], [c[1] for c in chart["gemm"]], 0.4, label="mlp4j vector")
        ax.bar([x + 0.2 for x in xs], [c[2] for c in chart["gemm"]], 0.4, label="OpenBLAS sgemm")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("GFLOP/s (median, 1 thread; higher is better)")
        ax.set_title("Matrix kernels, MNIST shapes")
        ax.legend(fontsize=8)
    ax = axes[2]
    if chart["train"]:
        bs = [str(c[0]) for c in chart["train"]]
        xs = range(len(bs))
        ax.bar([x - 0.2 for x in xs], [c[1] for c in chart["train"]], 0.4, label="mlp4j (best threads)")
        ax.bar([x + 0.2 for x in xs], [c[2] or 0 for c in chart["train"]], 0.4, label="PyTorch (best threads)")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([f"batch {b}" for b in bs])
        ax.set_ylabel("samples/s (median; higher is better)")
        ax.set_title("Training step, MNIST net")
        ax.legend(fontsize=8)
    fig.suptitle("mlp4j vs ONNX Runtime Java, OpenBLAS and PyTorch (shared 2-core machine, same run)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    main()
