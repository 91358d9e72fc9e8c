#!/usr/bin/env python3
"""Generates core/src/main/java/org/mlp4j/internal/vector/PackedTiles.java: the register-blocked
micro-kernels of the packed-panel forward GEMM. Java has no templates, and C2 keeps vector accumulators in
registers only when they are plain locals, so each tile shape is written out; this script is the one place
that knows the pattern. Run: python3 core/tools/gen_packed_tiles.py > .../PackedTiles.java"""

# (rows of A, vectors per panel, panels): the shapes PackedGemm dispatches to.
# One sample reads up to four panels per pass (p4, p3, p2): a pass's 2-8 independent FMA chains hide the FMA
# latency that one panel's 1-2 chains expose (a k-step per FMA latency). The p3/p2 passes are for layers of
# 2-3 panels, such as the tiny net's 64-wide layers at 512 bits (measurements in PackedGemm's comment).
SHAPES = [(r, v, 1) for r in (8, 6, 4, 1) for v in (1, 2)] + [(1, v, p) for p in (4, 3, 2) for v in (1, 2)]
# Batches at 32 vector registers run 6 rows x 2 panels of 2 vectors (6x2p2: 24 accumulators, 4 weight vectors, 1
# broadcast), see PackedGemm.MR.
# (batches over pairs of panels use the strided segment tiles s6x2p2, s4x2p2 only)
# Segment tiles (s8x2 ...): a block of rows over one segment [k0, k1) of k, for batches whose rows share
# stretches of zero input (PackedGemm). Separate from the dense t8x2 ...: those keep their zero start and
# in-panel bias, and the dense path does not pay for the extra arguments.
SEGMENT_SHAPES = [(r, v, 1) for r in (8, 6, 4) for v in (1, 2)] + [(6, 2, 2), (4, 2, 2)]
# Segment shapes whose rows of A the caller copies A_STRIDE floats apart (PackedGemm.copySlice): every
# broadcast then addresses a[a0 + k] plus a constant, one index register for all rows.
STRIDED = {(6, 2, 2), (4, 2, 2)}
A_STRIDE = 256


def tile(r, v, p, seg=False, mem=False):
    one = r == 1 or seg  # over one segment [k0, k1), from init's sums, plus bias's
    strided = seg and (r, v, p) in STRIDED  # A's rows A_STRIDE apart: a[a0 + i * A_STRIDE + k]
    # mem: a one-sample tile whose weights are read from AlignedPanels' copy (a 64-byte aligned MemorySegment,
    # as an Object) at the same float indices; everything else as the tile of the same shape
    n = (f"s{r}x{v}" if seg else f"t{r}x{v}") + (f"p{p}" if p > 1 else "") + ("m" if mem else "")
    acc = [(i, q, j) for i in range(r) for q in range(p) for j in range(v)]
    c = lambda i, q, j: f"c{i}{q}{j}"
    out = []
    o = out.append
    if strided:
        o(f"    /**")
        o(f"     * {r} rows of A x {p} panel(s) of {v} vector(s): {len(acc)} accumulators. A's rows are {{@link #A_STRIDE}}")
        o(f"     * floats apart, row i's input k at {{@code a[a0 + i * A_STRIDE + k]}} (see {{@link PackedGemm#copySlice}}).")
        o(f"     */")
    elif mem:
        o(f"    /** {{@link #t1x{v}{f'p{p}' if p > 1 else ''}}} with its weights read from {{@link AlignedPanels}}' copy {{@code p}}. */")
    else:
        o(f"    /** {r} row(s) of A x {p} panel(s) of {v} vector(s): {len(acc)} accumulators. */")
    aas = "" if strided else " int as,"
    if seg:
        o(f"    static void {n}(int ks, float[] a, int a0,{aas} float[] p, int p0, int ps, float[] init,")
        o(f"                    int ci, int cs, float[] bias, int b0, int bs, float[] out, int o0, int os) {{")
    elif mem:
        o(f"    static void {n}(int k0, int k1, float[] a, int a0, Object p, int p0, int ps, float[] init, int ci,")
        o(f"                    float[] bias, int b0, int bs, float[] out, int o0) throws Throwable {{")
    elif r == 1:
        o(f"    static void {n}(int k0, int k1, float[] a, int a0, float[] p, int p0, int ps, float[] init, int ci,")
        o(f"                    float[] bias, int b0, int bs, float[] out, int o0) {{")
    else:
        o(f"    static void {n}(int cols, float[] a, int a0,{aas} float[] p, int p0, int ps, float[] out, int o0,")
        o(f"                    int os) {{")
    o(f"        final int nrf = {v} * LANES;")
    for i in range(1, r):
        if not strided:
            o(f"        final int a{i} = a0 + {i} * as;")
    for q in range(1, p):
        o(f"        final int p{q} = p0 + {q} * ps;")
    for (i, q, j) in acc:
        if seg:
            o(f"        FloatVector {c(i, q, j)} = FloatVector.fromArray(SPECIES, init, ci + {i} * cs + {q} * nrf + {j} * LANES);")
        elif r == 1:
            o(f"        FloatVector {c(i, q, j)} = FloatVector.fromArray(SPECIES, init, ci + {q} * nrf + {j} * LANES);")
        else:
            o(f"        FloatVector {c(i, q, j)} = FloatVector.zero(SPECIES);")
    # One-sample tiles take one segment [k0, k1) per call, and PackedGemm calls them once per segment. A skip
    # inside the loop (an `if ... continue`, or a scalar while-loop around the vector steps) merges the vector
    # accumulators at a branch, and JDK 17's C2 then boxes them: 5,760 B per call and 784x256 at 29 us instead
    # of 4.4 (JDK 25 did not box; Zen 5, 2026-12-02). Keep every vector loop free of control flow.
    # Segment tiles get a0 and p0 at the segment's first k from the caller and loop as the dense tiles do:
    # rebasing inside the tile (a0 + k0, p0 + k0 * nrf), as the one-sample tiles do, ran the 6x2p2 shape 22 %
    # slower than the dense tile on the same work (Xeon AVX-512, JDK 17, 2026-12-02).
    if r == 1:  # the loop from 0, as in the other tiles: from k0 it ran 10-25 % slower (784x256, Zen 5)
        o(f"        final int ks = k1 - k0;")
        o(f"        final int ak = a0 + k0;")
        o(f"        final int pk = k0 * nrf;")
    if mem:  # byte offsets as longs outside the loop: the bounds checks then see k * (4 * nrf) plus a constant
        for q in range(p):
            o(f"        final long m{q} = 4L * (p{q} + pk);")
        o(f"        final long mk = 4L * nrf;")
    o(f"        for (int k = 0; k < {'ks' if one else 'cols'}; k++) {{")
    for q in range(p):
        for j in range(v):
            off = f" + {j} * LANES" if j else ""
            pk = " + pk" if r == 1 else ""
            if mem:
                moff = f" + {j} * 4L * LANES" if j else ""
                o(f"            FloatVector w{q}{j} = (FloatVector) AlignedPanels.LOAD.invokeExact(SPECIES, p,")
                o(f"                    m{q} + k * mk{moff}, AlignedPanels.ORDER);")
            else:
                o(f"            FloatVector w{q}{j} = FloatVector.fromArray(SPECIES, p, p{q}{pk} + k * nrf{off});")
    for i in range(r):
        ax = f"a0 + {i} * A_STRIDE + k" if strided else ("ak + k" if r == 1 else f"a{i} + k")
        o(f"            {'FloatVector ' if i == 0 else ''}x = FloatVector.broadcast(SPECIES, a[{ax}]);")
        for q in range(p):
            for j in range(v):
                o(f"            {c(i, q, j)} = w{q}{j}.fma(x, {c(i, q, j)});")
    o(f"        }}")
    for q in range(p):
        for j in range(v):
            off = f" + {j} * LANES" if j else ""
            if seg:
                o(f"        FloatVector b{q}{j} = FloatVector.fromArray(SPECIES, bias, b0 + {q} * bs{off});")
            elif r == 1:
                o(f"        FloatVector b{q}{j} = FloatVector.fromArray(SPECIES, bias, b0 + {q} * bs{off});")
            else:
                o(f"        FloatVector b{q}{j} = FloatVector.fromArray(SPECIES, p, p{q} + cols * nrf{off});")
    dst = lambda base, i, q, j, s: (f"{base} + {q} * nrf + {j} * LANES" if r == 1
                                    else f"{base} + {i} * {s} + {q} * nrf + {j} * LANES")
    for (i, q, j) in acc:
        o(f"        {c(i, q, j)}.add(b{q}{j}).intoArray(out, {dst('o0', i, q, j, 'os')});")
    o(f"    }}")
    return "\n".join(out)


print("""package org.mlp4j.internal.vector;

import static org.mlp4j.internal.vector.VectorShape.LANES;
import static org.mlp4j.internal.vector.VectorShape.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * GENERATED by core/tools/gen_packed_tiles.py; edit the script, not this file.
 *
 * <p>Micro-kernels of {@link PackedGemm}: {@code out[i, q*nrf + j] = bias + sum_k A[i, k] P_q[k, j]} for a
 * block of rows of A and one or more packed panels {@code P_q} ({@code nrf = vectors * LANES} wide, k-major,
 * bias after the last k; see {@link PackedGemm}). Every output element is one FMA chain over k in order,
 * started at zero, then plus the bias: the same arithmetic as the scalar twin, so results are identical for
 * every tile shape, every vector width and every JIT tier.
 *
 * <p>The one-sample tiles ({@code t1x...}) run over one segment {@code [k0, k1)} of k: their sums start from
 * {@code init} (+0, or the previous segment's sums) and end plus {@code bias} (the panels' bias after the last
 * segment, +0 before it). {@link PackedGemm} leaves out the stretches of k whose inputs are all zero. That is
 * exact: a zero input adds {@code 0 * w = +-0} (the weights are finite) to a sum that started at +0 and so is
 * never -0, which leaves it unchanged, as does adding +0; a stored and reloaded float is the same float.
 * The segment tiles ({@code s8x2 ...}) do the same for a block of rows of a batch, over the stretches where
 * all of the block's rows are zero; their {@code init} rows are {@code cs} apart (0 for {@link PackedGemm#ZEROS}).
 *
 * <p>The activation is not applied here but by the caller on the block while it is in L1: with it in
 * registers (max / blend on 16 accumulators, plus a second store for z) the 8 x 2 tile exceeded C2's inlining
 * budget in training, and the Vector API calls left out were boxed (measured: 288 KB allocated per MNIST step).
 *
 * <p>The one-sample tiles ending in {@code m} are the same tiles reading their weights from
 * {@link AlignedPanels}' 64-byte aligned copy of the panels (JDK 22+), through a constant method handle that
 * C2 inlines into the same load.
 */
final class PackedTiles {
    /**
     * Floats between the rows of A that the strided segment tiles ({@code s6x2p2}, {@code s4x2p2}) read: a
     * constant, so that C2 addresses all of a k-step's broadcasts from one index register.
     */
    static final int A_STRIDE = %d;

    private PackedTiles() {
    }
""" % A_STRIDE)
for s in SHAPES:
    print(tile(*s))
    print()
for r, v, p in SEGMENT_SHAPES:
    print(tile(r, v, p, seg=True))
    print()
for r, v, p in SHAPES:
    if r == 1:
        print(tile(r, v, p, mem=True))
        print()
print("}")
