package org.mlp4j.jmh;

import java.util.concurrent.TimeUnit;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The FP32 FMA peak of one core as the Vector API reaches it: {@value #CHAINS} independent FMA chains of the
 * preferred species (enough to cover FMA latency times FMA ports on AVX2 and AVX-512 cores), registers only.
 * One call is {@code ITERATIONS * CHAINS * lanes * 2} FLOP; the report divides every GFLOP/s figure by this
 * one (the Java twin of {@code jmh/peers/fma_peak.c}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class PeakFmaBenchmark {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int CHAINS = 12;
    static final int ITERATIONS = 4096;

    private float seed;

    /**
     * Prints the preferred species as the kernels name it ({@code vector-512}): jmh/run.sh records it for the
     * report, which needs the lane count to turn {@link #fmaPeak} times into GFLOP/s.
     */
    public static void main(String[] args) {
        System.out.println("vector-" + SPECIES.vectorBitSize());
    }

    /** FLOP per call, for the report. */
    public static long flopPerCall() {
        return 2L * ITERATIONS * CHAINS * SPECIES.length();
    }

    @Setup
    public void setup() {
        seed = 1e-7f;
    }

    @Benchmark
    public float fmaPeak() {
        // x*m + c with m slightly below 1 and c tiny: values stay finite and normal for any iteration count
        FloatVector m = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector c = FloatVector.broadcast(SPECIES, seed);
        FloatVector a0 = FloatVector.broadcast(SPECIES, 1f);
        FloatVector a1 = a0.add(1f);
        FloatVector a2 = a0.add(2f);
        FloatVector a3 = a0.add(3f);
        FloatVector a4 = a0.add(4f);
        FloatVector a5 = a0.add(5f);
        FloatVector a6 = a0.add(6f);
        FloatVector a7 = a0.add(7f);
        FloatVector a8 = a0.add(8f);
        FloatVector a9 = a0.add(9f);
        FloatVector a10 = a0.add(10f);
        FloatVector a11 = a0.add(11f);
        for (int i = 0; i < ITERATIONS; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .lane(0);
    }
}
