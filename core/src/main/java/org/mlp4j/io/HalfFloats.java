package org.mlp4j.io;

/**
 * IEEE half precision (F16) and bfloat16 (BF16) to and from float, on JDK 17 (which lacks
 * {@code Float.float16ToFloat}). Widening is exact; narrowing rounds to nearest, ties to even, and keeps NaN a
 * NaN (quiet) and infinities infinite.
 */
final class HalfFloats {
    private HalfFloats() {
    }

    /** Widens IEEE binary16 bits (the low 16 bits of {@code h}) exactly. */
    static float f16ToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) { // infinity or NaN: keep the payload's top bits
            return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13);
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal: value = mant * 2^-24, exact in float
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | (exp + 112) << 23 | mant << 13);
    }

    /** Widens bfloat16 bits (the low 16 bits of {@code b}) exactly: they are a float's upper half. */
    static float bf16ToFloat(int b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** Narrows to bfloat16 bits, rounding to nearest even. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) { // NaN: keep the sign, force a quiet payload bit
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Narrows to IEEE binary16 bits, rounding to nearest even; beyond 65504 (after rounding) gives infinity. */
    static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            return (short) (sign | 0x7e00 | (abs >>> 13 & 0x3ff));
        }
        if (abs >= 0x477ff000) { // rounds to 65520 or more: infinity (also maps infinity itself)
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below the smallest normal half (2^-14): subnormal or zero
            // value in units of 2^-24, rounded to nearest even
            float scaled = Float.intBitsToFloat(abs) * 0x1p24f;
            int m = (int) Math.rint(scaled); // scaled < 1024, exact in float; rint is ties-to-even
            return (short) (sign | m);
        }
        int exp = (abs >>> 23) - 112;
        int mant = abs & 0x7fffff;
        int h = exp << 10 | mant >>> 13;
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
            h++; // may carry into the exponent, which is the right result
        }
        return (short) (sign | h);
    }
}
