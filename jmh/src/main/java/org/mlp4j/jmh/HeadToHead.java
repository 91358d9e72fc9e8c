package org.mlp4j.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.mlp4j.Network;
import org.mlp4j.Predictor;
import org.mlp4j.Workspace;

/**
 * mlp4j's inference paths and ONNX Runtime on the same net, weights and inputs, interleaved in one JVM: each
 * round times every engine in turn (the order rotates) as the best of {@code reps} calls, and the ratio of
 * each engine to ONNX Runtime is taken within the round. On a shared VM whose speed moves by tens of percent
 * for seconds at a time, and differently from one JMH fork to the next, a ratio of adjacent rounds is the
 * figure that holds still: on an Intel Xeon (family 6 model 207), 2026-12-04, the MNIST batch of 128 ran
 * 345 µs in some seconds of a process and 410-505 µs in others, and 600 µs in the one JMH fork of a quick run.
 * Not a JMH benchmark, and no substitute for {@code jmh/run.sh}: a complement to it on noisy machines.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar org.mlp4j.jmh.HeadToHead mnist batch
 * java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar org.mlp4j.jmh.HeadToHead tiny one 60 200
 * </pre>
 *
 * Arguments: net ({@code tiny} / {@code mnist}), {@code batch} (128 samples) or {@code one} (a single
 * sample), rounds (40), calls per round (30 for batches, 300 for one sample); the rounds follow a warm-up of
 * {@code -Dwarmup} seconds (5) that calls the engines in turn.
 * Prints, per engine, the median over the rounds of the round's best call, and the
 * median, min and max of its per-round ratio to ONNX Runtime: throughput for batches (above 1: faster than
 * ONNX Runtime), latency for one sample (below 1: faster), as in {@code docs/performance.md}. Every engine's output is checked against ONNX
 * Runtime's (1e-4 relative, bf16 1e-2) before anything is timed. With {@code -Djson=FILE} the figures are also
 * written to FILE as JSON ({@code jmh/run.sh} puts them in its report).
 */
public final class HeadToHead {
    private interface Engine {
        void call() throws OrtException;
    }

    private static final double WARMUP_SECONDS = Double.parseDouble(System.getProperty("warmup", "5"));

    private HeadToHead() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !(args[1].equals("batch") || args[1].equals("one"))) {
            throw new IllegalArgumentException("usage: HeadToHead tiny|mnist batch|one [rounds] [calls per round];"
                    + " got " + Arrays.toString(args));
        }
        String net = args[0];
        Models.sizes(net); // a clear error for an unknown net
        boolean batched = args[1].equals("batch");
        int rounds = args.length > 2 ? positive("rounds", args[2]) : 40;
        int reps = args.length > 3 ? positive("calls per round", args[3]) : batched ? 30 : 300;
        int n = batched ? InferenceBenchmark.BATCH : 1;

        Models.selectKernels("vector");
        Network network = Models.load(net);
        int in = network.inputSize();
        int out = network.outputSize();
        float[] x = batched ? Data.uniform(n * in, 7, 0f, 1f) : Models.checkInput(net);

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = OnnxRuntimeBenchmark.openSession(env, net, 1);
             OnnxTensor xt = OnnxTensor.createTensor(env, OnnxRuntimeBenchmark.direct(x), new long[] {n, in})) {
            FloatBuffer yBuf = OnnxRuntimeBenchmark.direct(new float[n * out]);
            try (OnnxTensor yt = OnnxTensor.createTensor(env, yBuf, new long[] {n, out})) {
                Map<String, OnnxTensor> ins = Map.of("x", xt);
                Map<String, OnnxTensor> outs = Map.of("y", yt);
                Workspace ws = network.newWorkspace(n);
                Predictor fp32 = Predictor.of(network, Predictor.Precision.FLOAT32);
                Predictor bf16 = Predictor.of(network, Predictor.Precision.BFLOAT16);
                String[] names = {"onnxruntime", "network", "predictor-fp32", "predictor-bf16"};
                float[][] ys = new float[names.length][n * out];
                Engine[] engines = {
                    () -> {
                        try (OrtSession.Result r = session.run(ins, outs)) {
                            yBuf.get(0, ys[0]);
                        }
                    },
                    batched ? () -> network.predictBatch(x, n, ys[1], ws) : () -> network.predict(x, 0, ys[1], 0, ws),
                    batched ? () -> fp32.predictBatch(x, n, ys[2]) : () -> fp32.predict(x, 0, ys[2], 0),
                    batched ? () -> bf16.predictBatch(x, n, ys[3]) : () -> bf16.predict(x, 0, ys[3], 0),
                };
                for (int e = 0; e < engines.length; e++) {
                    engines[e].call();
                    check(names[e], ys[e], ys[0], e == 3 ? 1e-2f : 1e-4f);
                }
                run(net, batched, names, engines, rounds, reps);
            }
        }
    }

    private static void run(String net, boolean batched, String[] names, Engine[] engines, int rounds, int reps)
            throws OrtException {
        int m = engines.length;
        // warm-up until every engine's code is compiled by C2: JMH's quick profile gives each fork 3-6 s
        long warmupEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
        while (System.nanoTime() < warmupEnd) {
            for (Engine e : engines) {
                for (int i = 0; i < reps; i++) {
                    e.call();
                }
            }
        }
        long[][] best = new long[m][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < m; j++) {
                int e = (j + r) % m; // rotate the order, so that no engine always follows the same one
                long b = Long.MAX_VALUE;
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    engines[e].call();
                    b = Math.min(b, System.nanoTime() - t0);
                }
                best[e][r] = b;
            }
        }
        System.out.printf("%s %s, %.0f s warm-up, %d rounds, best of %d calls per round%n", net,
                batched ? "batch of 128" : "one sample", WARMUP_SECONDS, rounds, reps);
        StringBuilder json = new StringBuilder().append(String.format(Locale.ROOT,
                "{\"net\": \"%s\", \"mode\": \"%s\", \"rounds\": %d, \"reps\": %d, \"engines\": [",
                net, batched ? "batch" : "one", rounds, reps));
        for (int e = 0; e < m; e++) {
            double[] ratio = new double[rounds];
            long[] t = best[e].clone();
            for (int r = 0; r < rounds; r++) {
                // batches: throughput against ONNX Runtime's (> 1 is faster); one sample: latency (< 1 is faster)
                ratio[r] = batched ? (double) best[0][r] / best[e][r] : (double) best[e][r] / best[0][r];
            }
            Arrays.sort(t);
            Arrays.sort(ratio);
            System.out.printf("%-15s median %10.2f us  best %10.2f us   %s vs onnxruntime: median %.2fx (%.2f-%.2fx)%n",
                    names[e], t[t.length / 2] / 1e3, t[0] / 1e3, batched ? "throughput" : "latency",
                    ratio[ratio.length / 2], ratio[0], ratio[ratio.length - 1]);
            json.append(String.format(Locale.ROOT, "%s{\"engine\": \"%s\", \"median_ns\": %d, \"best_ns\": %d, "
                    + "\"ratio_median\": %.4f, \"ratio_min\": %.4f, \"ratio_max\": %.4f}", e == 0 ? "" : ", ",
                    names[e], t[t.length / 2], t[0], ratio[ratio.length / 2], ratio[0], ratio[ratio.length - 1]));
        }
        String path = System.getProperty("json");
        if (path != null) { // for jmh/run.sh's report
            try {
                Files.writeString(Path.of(path), json.append("]}\n").toString());
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot write " + path, ex);
            }
        }
    }

    private static void check(String engine, float[] got, float[] want, float tol) {
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1f, Math.abs(want[i])))) {
                throw new IllegalStateException(engine + " output " + i + " is " + got[i] + ", ONNX Runtime's is "
                        + want[i] + " (tolerance " + tol + ")");
            }
        }
    }

    private static int positive(String what, String s) {
        int v = Integer.parseInt(s);
        if (v < 2) {
            throw new IllegalArgumentException(what + " must be at least 2, got " + s);
        }
        return v;
    }
}
