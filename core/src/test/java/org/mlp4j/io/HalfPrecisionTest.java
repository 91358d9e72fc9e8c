package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mlp4j.Activation;
import org.mlp4j.Network;

/** F16 and BF16 in safetensors files: exact widening, round-to-nearest-even narrowing, and the size limits. */
class HalfPrecisionTest {
    @TempDir
    Path dir;

    /** Every positive finite F16 value, in increasing order (bits 0 .. 0x7bff are monotonic). */
    private static final float[] POSITIVE_F16 = new float[0x7c00];

    static {
        for (int h = 0; h < POSITIVE_F16.length; h++) {
            POSITIVE_F16[h] = HalfFloats.f16ToFloat(h);
        }
    }

    @Test
    void f16WideningIsExactAndMonotonic() {
        assertEquals(1f, HalfFloats.f16ToFloat(0x3c00));
        assertEquals(65504f, HalfFloats.f16ToFloat(0x7bff));
        assertEquals(0x1p-24f, HalfFloats.f16ToFloat(0x0001)); // smallest subnormal
        assertEquals(0x1p-14f, HalfFloats.f16ToFloat(0x0400)); // smallest normal
        assertEquals(-2f, HalfFloats.f16ToFloat(0xc000));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat(0x7c00));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(0x7e00)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(HalfFloats.f16ToFloat(0x8000)));
        for (int h = 1; h < POSITIVE_F16.length; h++) {
            assertTrue(POSITIVE_F16[h] > POSITIVE_F16[h - 1], "bits " + h);
        }
    }

    @Test
    void everyF16RoundTripsThroughFloat() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloats.f16ToFloat(h);
            short back = HalfFloats.floatToF16(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.f16ToFloat(back)), "NaN bits " + h);
            } else {
                assertEquals(h, back & 0xffff, "bits " + Integer.toHexString(h));
            }
        }
    }

    @Test
    void f16NarrowingRoundsToNearestEven() {
        SplittableRandom rnd = new SplittableRandom(16);
        for (int i = 0; i < 200_000; i++) {
            float f = switch (i % 4) {
                case 0 -> Float.intBitsToFloat(rnd.nextInt()); // any float
                case 1 -> (float) (rnd.nextDouble(-70000, 70000));
                case 2 -> (float) (rnd.nextDouble(-1e-4, 1e-4)); // subnormal halves
                default -> POSITIVE_F16[rnd.nextInt(POSITIVE_F16.length - 1)] * (rnd.nextBoolean() ? 1 : -1)
                        + (rnd.nextBoolean() ? 0f : Math.ulp(POSITIVE_F16[rnd.nextInt(POSITIVE_F16.length)]));
            };
            if (Float.isNaN(f)) {
                continue;
            }
            assertEquals(referenceF16(f), HalfFloats.floatToF16(f) & 0xffff, "float " + f);
        }
        // exact ties: halfway between 1 and the next half (1 + 2^-10) goes to the even one, 1
        assertEquals(0x3c00, HalfFloats.floatToF16(1f + 0x1p-11f) & 0xffff);
        assertEquals(0x3c02, HalfFloats.floatToF16(1f + 3 * 0x1p-11f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToF16(65519.99f) & 0xffff);
        assertEquals(0x7c00, HalfFloats.floatToF16(65520f) & 0xffff);
    }

    /** Nearest F16 by search over all values, ties to even, beyond 65520 infinity. */
    private static int referenceF16(float f) {
        int sign = f < 0 || (f == 0 && 1 / f < 0) ? 0x8000 : 0;
        float a = Math.abs(f);
        if (a >= 65520f) {
            return sign | 0x7c00;
        }
        int i = Arrays.binarySearch(POSITIVE_F16, a);
        if (i >= 0) {
            return sign | i;
        }
        int hi = -i - 1;
        int lo = hi - 1;
        if (hi == POSITIVE_F16.length) {
            return sign | lo;
        }
        double dLo = a - (double) POSITIVE_F16[lo];
        double dHi = (double) POSITIVE_F16[hi] - a;
        int pick = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
        return sign | pick;
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsSpecials() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(f))));
                continue;
            }
            int bits = Float.floatToRawIntBits(f);
            int down = bits >>> 16;
            int rest = bits & 0xffff;
            int want = rest > 0x8000 || (rest == 0x8000 && (down & 1) == 1) ? down + 1 : down;
            assertEquals(want & 0xffff, HalfFloats.floatToBf16(f) & 0xffff, "float " + f);
            assertEquals(Float.intBitsToFloat(down << 16), HalfFloats.bf16ToFloat(down), "widening " + down);
        }
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.MAX_VALUE)));
    }

    @Test
    void writesAndReadsF16AndBf16Files() throws IOException {
        float[] values = {0f, -0f, 1f, -2.5f, 3.14159f, 1e-6f, 65504f, -1e-3f, 123.456f};
        for (SafeTensors.Dtype dtype : SafeTensors.Dtype.values()) {
            Path file = dir.resolve(dtype + ".safetensors");
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("v", Tensor.vector(values));
            SafeTensors.write(file, Map.of("k", "v"), t, dtype);
            assertEquals(8 + headerLength(file) + (long) values.length * dtype.bytes(), Files.size(file));
            SafeTensorsFile f = SafeTensors.read(file);
            assertEquals(dtype, f.dtype("v"));
            float[] back = f.floats("v");
            for (int i = 0; i < values.length; i++) {
                float want = switch (dtype) {
                    case F32 -> values[i];
                    case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[i]));
                    case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
                };
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(back[i]), dtype + " value " + i);
            }
        }
    }

    @Test
    void modelsSaveAsBf16AndLoadWithRoundedWeights() throws IOException {
        Network net = Network.builder(5).dense(7, Activation.TANH).dense(3, Activation.IDENTITY).seed(3).build();
        Path file = dir.resolve("m.bf16.safetensors");
        ModelFiles.save(net, file, SafeTensors.Dtype.BF16);
        Network back = ModelFiles.load(file);
        float[] p = net.parameters();
        float[] q = back.parameters();
        for (int i = 0; i < p.length; i++) {
            assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(p[i])), q[i], "parameter " + i);
        }
        assertTrue(Files.size(file) < Files.size(saveF32(net)));
    }

    @Test
    void f16SaveRefusesParametersBeyondItsRange() {
        Network net = Network.builder(2).dense(1, Activation.IDENTITY).build();
        net.setBias(0, new float[] {70000f});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFiles.save(net, dir.resolve("x.safetensors"), SafeTensors.Dtype.F16));
        assertTrue(e.getMessage().contains("70000") && e.getMessage().contains("BF16"), e.getMessage());
    }

    /** Issue 11: 2^29 floats (2 GiB) once overflowed an int; now the heap check names the file and the limit. */
    @Test
    void tensorOfTwoToTheTwentyNineFloatsIsRejectedByTheHeapCheck() throws IOException {
        long count = 1L << 29;
        Path file = dir.resolve("huge.safetensors");
        String header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[" + count + "],\"data_offsets\":[0," + count * 4 + "]}}";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            raf.write(prefix.array());
            raf.write(h);
            raf.setLength(8 + h.length + count * 4); // sparse: no disk space used
        }
        long max = Runtime.getRuntime().maxMemory();
        if (max > 3L << 30) {
            return; // with a heap this large the tensor would be read; the suite runs with -Xmx2g
        }
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("2147483648 bytes as float")
                && e.getMessage().contains("\"big\"") && e.getMessage().contains("-Xmx"), e.getMessage());
    }

    @Test
    void moreValuesThanAJavaArrayHolds() throws IOException {
        long count = 1L << 31;
        Path file = dir.resolve("toomany.safetensors");
        String header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2," + (count / 2) + "],\"data_offsets\":[0," + count * 2
                + "]}}";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            raf.setLength(8 + h.length + count * 2);
        }
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains("2147483648 values, more than the " + SafeTensors.MAX_TENSOR_ELEMENTS),
                e.getMessage());
    }

    private Path saveF32(Network net) throws IOException {
        Path f = dir.resolve("m.f32.safetensors");
        ModelFiles.save(net, f);
        return f;
    }

    private static long headerLength(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void widenedValuesAreTheBitPatternsOfTheFile() throws IOException {
        // a BF16 file written by hand: 1.0 = 0x3f80, -inf = 0xff80, smallest subnormal 0x0001
        Path file = dir.resolve("hand.safetensors");
        byte[] h = "{\"t\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]}}".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length + 6).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(h.length).put(h).putShort((short) 0x3f80).putShort((short) 0xff80).putShort((short) 1);
        Files.write(file, bb.array());
        assertArrayEquals(new float[] {1f, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x10000)},
                SafeTensors.read(file).floats("t"));
    }
}
