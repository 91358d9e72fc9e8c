#!/usr/bin/env python3
"""Generates core/src/main/java/org/mlp4j/internal/vector/PackedTilesBf16.java: the micro-kernels of the
bfloat16 forward GEMM (PackedGemmBf16), written out per shape for the reason gen_packed_tiles.py gives.
Run: python3 core/tools/gen_bf16_tiles.py > core/src/main/java/org/mlp4j/internal/vector/PackedTilesBf16.java"""

# (rows of A, vectors per panel, panels): the shapes PackedGemmBf16 dispatches to.
# One sample reads up to four panels per pass (p4, p3, p2): a pass's 2-8 independent FMA chains hide the FMA
# latency that one panel's 1-2 chains expose (a k-step per FMA latency). The p3/p2 passes are for layers of
# 2-3 panels, such as the tiny net's 64-wide layers at 512 bits (measurements in PackedGemm's comment).
SHAPES = [(r, v, 1) for r in (8, 6, 4, 1) for v in (1, 2)] + [(1, v, p) for p in (4, 3, 2) for v in (1, 2)]
SHAPES += [(6, 2, 2)]  # batches at 32 vector registers: 6 rows x 2 panels (see PackedGemm.MR)
# Segment tiles (s8x2 ...): a block of rows of a batch over one segment [k0, k1), as in gen_packed_tiles.py.
SEGMENT_SHAPES = [(r, v, 1) for r in (8, 6, 4) for v in (1, 2)] + [(6, 2, 2)]


def tile(mr, v, panels, seg=False, mem=False):
    # mem: a one-sample tile reading its weights from AlignedPanels' copy (an Object), as gen_packed_tiles.py's
    name = (f"s{mr}x{v}" if seg else f"t{mr}x{v}") + (f"p{panels}" if panels > 1 else "") + ("m" if mem else "")
    L = []
    o = L.append
    if mem:
        o(f"    /** {{@link #t1x{v}{f'p{panels}' if panels > 1 else ''}}} with its weights read from {{@link AlignedPanels}}' copy {{@code p}}. */")
    else:
        o(f"    /** {mr} row(s) of A x {panels} panel(s) of {v} vector(s): {mr * v * panels} accumulators. */")
    one = mr == 1 or seg  # a segment [k0, k1) of k from init's sums (see PackedTiles)
    if mem:
        o(f"    static void {name}(int k0, int k1, float[] a, int a0, Object p, int p0, int ps, float[] init, int ci,")
        o(f"                    float[] bias, int b0, float[] out, int o0) throws Throwable {{")
    elif seg:
        o(f"    static void {name}(int ks, float[] a, int a0, int as, short[] p, int p0, int ps, float[] init,")
        o(f"                    int ci, int cs, float[] bias, int b0, int bs, float[] out, int o0, int os) {{")
    elif one:
        o(f"    static void {name}(int k0, int k1, float[] a, int a0, short[] p, int p0, int ps, float[] init, int ci,")
        o(f"                    float[] bias, int b0, float[] out, int o0) {{")
    else:
        o(f"    static void {name}(int cols, float[] a, int a0, int as, short[] p, int p0, int ps, float[] bias, int b0,")
        o(f"                    float[] out, int o0, int os) {{")
    o(f"        final int nrf = {v} * LANES;")
    for i in range(1, mr):
        o(f"        final int a{i} = a0 + {i} * as;")
    for q in range(1, panels):
        o(f"        final int p{q} = p0 + {q} * ps;")
    for i in range(mr):
        for q in range(panels):
            for j in range(v):
                if seg:
                    o(f"        FloatVector c{i}{q}{j} = FloatVector.fromArray(SPECIES, init, ci + {i} * cs + {q} * nrf + {j} * LANES);")
                elif one:
                    o(f"        FloatVector c{i}{q}{j} = FloatVector.fromArray(SPECIES, init, ci + {q} * nrf + {j} * LANES);")
                else:
                    o(f"        FloatVector c{i}{q}{j} = FloatVector.zero(SPECIES);")
    if mr == 1:  # the loop from 0, as in the other tiles (PackedTiles); segment tiles get a0, p0 rebased
        o(f"        final int ks = k1 - k0;")
        o(f"        final int ak = a0 + k0;")
        o(f"        final int pk = k0 * nrf;")
    if mem:  # byte offsets as longs outside the loop (see gen_packed_tiles.py)
        for q in range(panels):
            o(f"        final long m{q} = 2L * (p{q} + pk);")
        o(f"        final long mk = 2L * nrf;")
    o(f"        for (int k = 0; k < {'ks' if one else 'cols'}; k++) {{")
    pk = " + pk" if mr == 1 else ""
    for q in range(panels):
        if mem and v == 2:
            o(f"            IntVector i{q} = (IntVector) ((ShortVector) AlignedPanels.LOAD_SHORTS.invokeExact(SHORTS_FULL, p,")
            o(f"                    m{q} + k * mk, AlignedPanels.ORDER)).reinterpretAsInts();")
            o(f"            FloatVector w{q}0 = i{q}.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();")
            o(f"            FloatVector w{q}1 = i{q}.and(0xffff0000).reinterpretAsFloats();")
        elif mem:
            o(f"            FloatVector w{q}0 = ((IntVector) ((ShortVector) AlignedPanels.LOAD_SHORTS.invokeExact(SHORTS, p,")
            o(f"                    m{q} + k * mk, AlignedPanels.ORDER)).convertShape(VectorOperators.S2I, INTS, 0))")
            o(f"                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();")
        elif v == 2:  # one load of 2 * LANES interleaved shorts: the even ones are vector 0, the odd ones vector 1
            o(f"            IntVector i{q} = (IntVector) ShortVector.fromArray(SHORTS_FULL, p, p{q}{pk} + k * nrf).reinterpretAsInts();")
            o(f"            FloatVector w{q}0 = i{q}.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();")
            o(f"            FloatVector w{q}1 = i{q}.and(0xffff0000).reinterpretAsFloats();")
        else:
            o(f"            FloatVector w{q}0 = ((IntVector) ShortVector.fromArray(SHORTS, p, p{q}{pk} + k * nrf)")
            o(f"                    .convertShape(VectorOperators.S2I, INTS, 0)).lanewise(VectorOperators.LSHL, 16)")
            o(f"                    .reinterpretAsFloats();")
    for i in range(mr):
        ax = "ak" if mr == 1 else f"a{i}"
        o(f"            {'FloatVector ' if i == 0 else ''}x = FloatVector.broadcast(SPECIES, a[{ax} + k]);")
        for q in range(panels):
            for j in range(v):
                # x.fma(w, c), not w.fma(x, c): on JDK 17 C2 the widened weight vector (from
                # reinterpretAsFloats) has an inexact class, and as the receiver it made the tile's
                # stores fail to intrinsify in about 4 of 9 JVMs (2304 B/op in bf16 predict); with the
                # broadcast as receiver 2 of 32 forks still did (Zen 4, 2026-12-03; JDK 25: none). Same bits.
                o(f"            c{i}{q}{j} = x.fma(w{q}{j}, c{i}{q}{j});")
    o("        }")
    for q in range(panels):
        for j in range(v):
            step = "bs" if seg else "nrf"  # segment tiles: bs = nrf for the bias, 0 for ZEROS
            o(f"        FloatVector b{q}{j} = FloatVector.fromArray(SPECIES, bias, b0 + {q} * {step} + {j} * LANES);")
    for i in range(mr):
        for q in range(panels):
            for j in range(v):
                row = f" + {i} * os" if mr > 1 else ""
                o(f"        c{i}{q}{j}.add(b{q}{j}).intoArray(out, o0{row} + {q} * nrf + {j} * LANES);")
    o("    }")
    return "\n".join(L)


HEADER = '''package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GENERATED by core/tools/gen_bf16_tiles.py; edit the script, not this file.
 *
 * <p>Micro-kernels of {@link PackedGemmBf16}: {@code out[i, q*nrf + j] = bias[q*nrf + j] + sum_k A[i, k] P_q[k, j]}
 * over bfloat16 panels, then the arithmetic of {@link PackedTiles}: one FMA chain over k from zero, plus the
 * bias. Two-vector panels interleave their two vectors' weights (see {@link PackedGemmBf16}): one full-width
 * load, reinterpreted as ints, gives both, the even shorts shifted left 16 and the odd ones masked, each the
 * exact float of its bfloat16. One-vector panels load {@code LANES} shorts (half the float shape),
 * sign-extend them to ints ({@code S2I}) and shift left 16.
 *
 * <p>The one-sample tiles ({@code t1x...}) run over a segment {@code [k0, k1)} of k from the sums in
 * {@code init}, as {@link PackedTiles}' do, so that {@link PackedGemmBf16} can leave out inputs that are zero;
 * the segment tiles ({@code s8x2 ...}) do the same for a block of rows of a batch.
 *
 * <p>The widening is written out in every tile, not called through helper methods: a helper that returns a
 * vector is inlined only while C2's size heuristics allow it ("already compiled into a big method" depends
 * on what was compiled first), and when it is not, every returned vector is boxed. That happened in 1 of 4
 * JMH forks of the single-sample bf16 predict (2016 B/op, AMD EPYC Zen 5, JDK 17, 2026-12-02); the JDK's own
 * Vector API methods are force-inlined, ours cannot be.
 *
 * <p>The one-sample tiles ending in {@code m} read their weights from {@link AlignedPanels}' 64-byte aligned
 * copy (JDK 22+) through a constant method handle, otherwise as the tile of the same shape.
 */
final class PackedTilesBf16 {
    private static final VectorSpecies<Short> SHORTS =
            VectorSpecies.of(short.class, jdk.incubator.vector.VectorShape.forBitSize(SPECIES.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> INTS = SPECIES.withLanes(int.class);
    private static final VectorSpecies<Short> SHORTS_FULL = SPECIES.withLanes(short.class);

    private PackedTilesBf16() {
    }

'''

print(HEADER + "\n\n".join([tile(*s) for s in SHAPES] + [tile(r, v, p, seg=True) for r, v, p in SEGMENT_SHAPES]
                            + [tile(r, v, p, mem=True) for r, v, p in SHAPES if r == 1])
      + "\n}")
