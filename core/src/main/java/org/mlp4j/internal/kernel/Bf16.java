package org.mlp4j.internal.kernel;

/**
 * bfloat16 conversions for the kernels: a bfloat16 is the upper 16 bits of a float, so widening is exact (a
 * shift) and narrowing rounds to nearest, ties to even. Inputs are finite (callers validate parameters).
 */
public final class Bf16 {
    /** Largest float that rounds to a finite bfloat16 (the largest bfloat16, 0x7f7f, is 3.3895314e38). */
    public static final float MAX_ROUNDABLE = Float.intBitsToFloat(0x7f7f7fff);

    private Bf16() {
    }

    /** The bfloat16 nearest to finite {@code f} (ties to even); beyond {@link #MAX_ROUNDABLE} gives infinity. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float of bfloat16 bits {@code b}, exactly. */
    public static float toFloat(short b) {
        return Float.intBitsToFloat(b << 16);
    }

    /** {@code f} rounded to bfloat16 and widened back: the value a bfloat16 kernel computes with. */
    public static float round(float f) {
        return toFloat(fromFloat(f));
    }
}
