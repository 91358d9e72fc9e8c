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
 *
 * <p>Each chain is written as the kernels write theirs, {@code acc = x.fma(w, acc)}: the accumulator is the
 * addend, which C2 maps onto one {@code vfmadd231ps} with the accumulator as its destination. The form
 * {@code acc = acc.fma(m, c)} (the accumulator a multiplicand, a shared addend) needs a register copy per FMA
 * and measured far less than the hardware does: on a 2-core Intel Xeon (family 6 model 106, two 512-bit FMA
 * units, JDK 17, 2026-12-03) 105 GFLOP/s in JMH (123-143 in a standalone loop) against 184 median / 191 best
 * for this form (JMH, 2 forks), the latter matching {@code fma_peak.c} built with {@code -mavx512f} (185-188;
 * gcc picks whichever FMA form needs no copy).
 * Figures reported before that date as "% of peak" divided by the copying form's rate.
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
        // acc + x*w with x*w tiny: values stay finite and normal for any iteration count
        FloatVector x = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector w = FloatVector.broadcast(SPECIES, seed);
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
            a0 = x.fma(w, a0);
            a1 = x.fma(w, a1);
            a2 = x.fma(w, a2);
            a3 = x.fma(w, a3);
            a4 = x.fma(w, a4);
            a5 = x.fma(w, a5);
            a6 = x.fma(w, a6);
            a7 = x.fma(w, a7);
            a8 = x.fma(w, a8);
            a9 = x.fma(w, a9);
            a10 = x.fma(w, a10);
            a11 = x.fma(w, a11);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .lane(0);
    }
}
