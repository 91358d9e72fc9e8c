#!/usr/bin/env bash
# Runs the JMH suite and the peers (OpenBLAS sgemm, PyTorch training) in one run and writes
# docs/performance.md + docs/performance.png.
#
#   jmh/run.sh quick   # ~11 min on 2 cores (default)
#   jmh/run.sh full    # every parameter, more forks/iterations/trials (~1 h on 2 cores)
#
# Runs from a clone alone. Environment: MLP4J_PEERS (default jmh/peers), MLP4J_MNIST (the MNIST IDX .gz
# files for the PyTorch peer; default data/mnist in the repository, else ../shared/data/mnist next to it),
# SKIP_BUILD=1 to reuse jmh/target/benchmarks.jar, SKIP_PEERS=1.
set -euo pipefail
PROFILE=${1:-quick}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PEERS=${MLP4J_PEERS:-$ROOT/jmh/peers}
if [[ -n "${MLP4J_MNIST:-}" ]]; then
  MNIST=$MLP4J_MNIST
elif [[ -e "$ROOT/data/mnist/train-images-idx3-ubyte.gz" ]]; then
  MNIST=$ROOT/data/mnist
else
  MNIST=$ROOT/../shared/data/mnist
fi
RES=$ROOT/jmh/target/results/$(date -u +%Y%m%dT%H%M%SZ)-$PROFILE
mkdir -p "$RES"
log() { echo "[run.sh $(date -u +%H:%M:%S)] $*" >&2; }

case "$PROFILE" in
  quick)
    JMH_OPTS="-f 1 -wi 3 -w 1s -i 3 -r 1s"
    # name | include regex | extra params (quick keeps GEMM/training/matvec on the Vector API path)
    #   | warm-up iterations where the default is too few: a training step's tile methods reach C2 only after
    #   ~3 s (Zen 4, 2026-12-03: steps 1-3 s in ran 340 ms, 11 ms, 1.1 ms, then 0.8 ms); measured before that,
    #   the C1 code boxes its vectors (554 KB/op at batch 32 in one quick run). Batches of 128 settle after
    #   ~5 s (Zen 4, 2026-12-03, MNIST net, 1 s iterations: 629 ms, 39 ms, 773, 593, 570, 631, 650, then
    #   570-558 us), so the batch benchmarks, ONNX Runtime's too, run in groups of their own with 6.
    BENCH_GROUPS=("peak|PeakFmaBenchmark|"
            "inference|InferenceBenchmark|-e predictBatch128"
            "inference-batch|InferenceBenchmark.predictBatch128||6"
            "onnxruntime|OnnxRuntimeBenchmark|-e predictBatch128"
            "onnxruntime-batch|OnnxRuntimeBenchmark.predictBatch128||6"
            "serving|PredictorBenchmark|-p net=mnist -e predictBatch128"
            "serving-batch|PredictorBenchmark.predictBatch128|-p net=mnist|6"
            "images|MnistImageBenchmark|-e predictBatch128"
            "images-batch|MnistImageBenchmark.predictBatch128||6"
            "serving-tiny|PredictorBenchmark.predict$|-p net=tiny"
            "matvec|MatvecBenchmark|-p kernels=vector"
            "gemm|GemmBenchmark|-p kernels=vector -p batch=128"
            "training|TrainingBenchmark|-p kernels=vector|6")
    SGEMM_ARGS="--trials 3 --threads 1 --batches 128"
    TORCH_CONFIGS="1:1 1:2"; TORCH_BATCHES="32 128 256"; TORCH_EPOCHS=3
    HEAD_TO_HEAD="mnist:batch mnist:one tiny:batch tiny:one"; H2H_ROUNDS=80; H2H_WARMUP=5
    export LIMITS_GATE_TIMEOUT=${LIMITS_GATE_TIMEOUT:-5}
    ;;
  smoke)
    # Checks the pipeline end to end in ~2 min; figures are meaningless.
    JMH_OPTS="-f 1 -wi 1 -w 200ms -i 2 -r 200ms"
    BENCH_GROUPS=("peak|PeakFmaBenchmark|"
            "inference|InferenceBenchmark|-p net=tiny"
            "onnxruntime|OnnxRuntimeBenchmark|-p net=tiny"
            "serving|PredictorBenchmark.predict$|-p net=tiny"
            "matvec|MatvecBenchmark|-p kernels=vector -p layer=784x256"
            "gemm|GemmBenchmark.gemmForward|-p kernels=vector -p batch=128 -p layer=784x256"
            "training|TrainingBenchmark|-p kernels=vector -p batch=128 -p threads=1")
    SGEMM_ARGS="--trials 1 --threads 1 --batches 128"
    TORCH_CONFIGS="1:2"; TORCH_BATCHES="128"; TORCH_EPOCHS=2
    HEAD_TO_HEAD="tiny:one"; H2H_ROUNDS=4; H2H_WARMUP=1
    export LIMITS_GATE_TIMEOUT=${LIMITS_GATE_TIMEOUT:-2}
    ;;
  full)
    JMH_OPTS="-f 2 -wi 5 -w 1s -i 5 -r 1s"
    BENCH_GROUPS=("peak|PeakFmaBenchmark|"
            "inference|InferenceBenchmark|"
            "onnxruntime|OnnxRuntimeBenchmark|-p ortThreads=1,2"
            "serving|PredictorBenchmark|"
            "images|MnistImageBenchmark|"
            "matvec|MatvecBenchmark|"
            "gemm|GemmBenchmark|"
            "training|TrainingBenchmark|")
    SGEMM_ARGS="--trials 5 --threads 1,2 --batches 32,128,256"
    TORCH_CONFIGS="1:1 1:2 2:2"; TORCH_BATCHES="32 128 256"; TORCH_EPOCHS=5
    HEAD_TO_HEAD="mnist:batch mnist:one tiny:batch tiny:one"; H2H_ROUNDS=200; H2H_WARMUP=10
    ;;
  *) echo "usage: $0 [quick|full|smoke]" >&2; exit 2 ;;
esac

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "building mlp4j and the benchmarks jar"
  ./mvnw -q -B package -DskipTests -pl jmh -am
fi
JAR=$ROOT/jmh/target/benchmarks.jar

# Environment of the run (date, JDK, CPU, load) for the report.
java -version > "$RES/java-version.txt" 2>&1
# The preferred vector width (vector-512, vector-256, ...): the FMA-peak GFLOP/s and the kernel line need it.
java --add-modules jdk.incubator.vector -cp "$JAR" org.mlp4j.jmh.PeakFmaBenchmark > "$RES/vector-species.txt" 2>/dev/null || true
lscpu > "$RES/lscpu.txt"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date -u +%s)

for g in "${BENCH_GROUPS[@]}"; do
  IFS='|' read -r name regex extra warmups <<< "$g"
  opts=$JMH_OPTS
  if [[ -n "$warmups" ]]; then opts=$(sed -E "s/-wi [0-9]+/-wi $warmups/" <<< "$JMH_OPTS"); fi
  log "JMH $name: $regex $opts $extra -prof gc"
  # shellcheck disable=SC2086
  java -jar "$JAR" "$regex" $opts $extra -prof gc -foe true -rf json -rff "$RES/jmh-$name.json" \
      > "$RES/jmh-$name.log" 2>&1 || { log "JMH $name failed, see $RES/jmh-$name.log"; tail -20 "$RES/jmh-$name.log" >&2; exit 1; }
  grep -E "^(Benchmark|[A-Za-z]+Benchmark\.[A-Za-z0-9]+ )" "$RES/jmh-$name.log" >&2 || true
done

# ONNX Runtime and mlp4j interleaved in one JVM (ratios within rounds: see HeadToHead's javadoc).
for h in $HEAD_TO_HEAD; do
  IFS=':' read -r net mode <<< "$h"
  log "HeadToHead $net $mode: $H2H_ROUNDS rounds, ${H2H_WARMUP} s warm-up"
  java --add-modules jdk.incubator.vector -Dwarmup="$H2H_WARMUP" -Djson="$RES/h2h-$net-$mode.json" -cp "$JAR" \
      org.mlp4j.jmh.HeadToHead "$net" "$mode" "$H2H_ROUNDS" > "$RES/h2h-$net-$mode.log" 2>&1 \
      || { log "HeadToHead $net $mode failed, see $RES/h2h-$net-$mode.log"; tail -20 "$RES/h2h-$net-$mode.log" >&2; exit 1; }
  grep -v -i warning "$RES/h2h-$net-$mode.log" >&2 || true
done

if [[ "${SKIP_PEERS:-0}" != 1 ]]; then
  log "OpenBLAS sgemm: $SGEMM_ARGS"
  # shellcheck disable=SC2086
  python3 "$PEERS/sgemm_mlp.py" $SGEMM_ARGS --out "$RES/sgemm.json" > "$RES/sgemm.md" 2> "$RES/sgemm.err"
  if [[ ! -e "$MNIST/train-images-idx3-ubyte.gz" ]]; then
    log "no MNIST at $MNIST (set MLP4J_MNIST): skipping the PyTorch peer"
    TORCH_BATCHES=""
  fi
  for b in $TORCH_BATCHES; do
    for c in $TORCH_CONFIGS; do
      tt=${c%%:*}; ob=${c##*:}
      log "PyTorch batch $b, torch threads $tt, OpenBLAS threads $ob, $TORCH_EPOCHS epochs"
      OPENBLAS_NUM_THREADS=$ob /usr/bin/python3 "$PEERS/torch_mlp.py" "$MNIST" "$tt" "$b" "$TORCH_EPOCHS" \
          --json "$RES/torch-b$b-t$tt-ob$ob.json" > "$RES/torch-b$b-t$tt-ob$ob.log" 2>&1
    done
  done
fi

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
ORT_VERSION=$(sed -n 's:.*<onnxruntime.version>\(.*\)</onnxruntime.version>.*:\1:p' jmh/pom.xml)
python3 - "$RES" "$PROFILE" "$JMH_OPTS" "$LOAD_BEFORE" "$LOAD_AFTER" "$START" "$ORT_VERSION" <<'PY'
import json, os, re, sys, time
res, profile, opts, lb, la, start, ort = sys.argv[1:]
lscpu = open(os.path.join(res, "lscpu.txt")).read()
model = re.search(r"Model name:\s*(.*)", lscpu).group(1).strip()
flags = re.search(r"Flags:\s*(.*)", lscpu).group(1).split()
simd = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16") if f in flags]
fam = re.search(r"CPU family:\s*(\d+)", lscpu)
mdl = re.search(r"\nModel:\s*(\d+)", lscpu)
if fam and mdl:
    model += f" (family {fam.group(1)}, model {mdl.group(1)})"
env = dict(profile=profile, jmh_opts=opts + " -prof gc", load_before=lb, load_after=la,
           date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(start))),
           duration_s=int(time.time()) - int(start),
           java_version=" / ".join(l.strip() for l in open(os.path.join(res, "java-version.txt")) if l.strip()),
           cpu_model=model, cpu_simd=" ".join(simd), nproc=os.cpu_count(), onnxruntime=ort, results_dir=os.path.relpath(res))
json.dump(env, open(os.path.join(res, "env.json"), "w"), indent=1)
PY

# The chart needs matplotlib: Debian's python3-matplotlib for /usr/bin/python3 (apt-get install python3-matplotlib).
PY=python3
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import matplotlib' 2>/dev/null; then PY=$p; break; fi
done
mkdir -p docs
"$PY" jmh/scripts/report.py "$RES" docs/performance.md --png docs/performance.png
log "done in $(( $(date -u +%s) - START )) s (+ build); results in $RES"
