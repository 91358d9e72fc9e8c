package org.mlp4j.internal.vector;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies of packed weight panels in 64-byte aligned memory that the collector does not move, for the one-sample
 * kernels (JDK 22 and later; elsewhere {@link #SUPPORTED} is false and nothing here is used).
 *
 * <p>Why: a one-sample forward is a stream of vector loads of the panels, and a 512-bit load that does not start
 * on a 64-byte boundary spans two cache lines. A {@code float[]}'s elements are only 8-byte aligned, and where
 * they lie is up to the JVM (and changes when the collector moves the array). The 784x256 layer, one sample,
 * Intel Xeon (family 6 model 207, AVX-512), 2026-12-04, panels at 8 offsets of arrays whose start
 * {@code -XX:ObjectAlignmentInBytes=64} fixes: 4-5 us at the one 64-byte aligned offset, 8-9 us at the other 7
 * (JDK 17). On JDK 25 the tiles ending in {@code m} over this class's copy: 6.1 us against 9.8 us over the
 * heap array (one JVM, best of 400 per round, 0 bytes allocated; with int byte offsets computed in the loop,
 * before {@code gen_packed_tiles.py} hoisted them as longs, 7.2-8.0 us). JDK 17's
 * {@code FloatVector.fromByteBuffer} over an aligned direct buffer took 17-19 us for a loop that ran 5.6 us over
 * an aligned array (its bounds and state checks stay in the loop), so JDK 17-21 keep the heap arrays.
 *
 * <p>The library is compiled for Java 17, where {@code java.lang.foreign} does not exist, so the segment is
 * handled as an {@code Object} and {@code FloatVector.fromMemorySegment} is reached through {@link #LOAD}, a
 * {@code static final} method handle: C2 inlines a constant handle into the load it stands for. Each copy has
 * an automatic arena of its own: its memory is freed after the copy becomes unreachable (a published snapshot
 * that no reader holds any more). The system property {@value #PROPERTY}{@code =false} turns the copies off, for
 * measuring.
 */
final class AlignedPanels {
    static final String PROPERTY = "mlp4j.alignedPanels";
    /** The byte order of the copies (the platform's, as the panels' floats). */
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** {@code (VectorSpecies, Object segment, long byteOffset, ByteOrder) -> FloatVector}; null if unsupported. */
    static final MethodHandle LOAD;
    /** {@code (VectorSpecies, Object segment, long byteOffset, ByteOrder) -> ShortVector}: bfloat16 panels. */
    static final MethodHandle LOAD_SHORTS;
    private static final MethodHandle ALLOCATE; // (long bytes, long alignment) -> Object segment
    private static final MethodHandle COPY; // (float[] src, int srcIndex, Object dst, long dstOffset, int n)
    private static final MethodHandle COPY_SHORTS; // the same from a short[]
    static final boolean SUPPORTED;
    private static final long ALIGNMENT = 64;

    static {
        MethodHandle load = null;
        MethodHandle loadShorts = null;
        MethodHandle allocate = null;
        MethodHandle copy = null;
        MethodHandle copyShorts = null;
        // 19-21 have java.lang.foreign as a preview API only; 22 made it final
        if (Runtime.version().feature() >= 22 && !"false".equals(System.getProperty(PROPERTY))) {
            try {
                MethodHandles.Lookup lookup = MethodHandles.publicLookup();
                Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
                Class<?> arena = Class.forName("java.lang.foreign.Arena");
                Class<?> layout = Class.forName("java.lang.foreign.ValueLayout");
                load = lookup.findStatic(FloatVector.class, "fromMemorySegment",
                                MethodType.methodType(FloatVector.class, VectorSpecies.class, segment, long.class,
                                        ByteOrder.class))
                        .asType(MethodType.methodType(FloatVector.class, VectorSpecies.class, Object.class,
                                long.class, ByteOrder.class));
                loadShorts = lookup.findStatic(ShortVector.class, "fromMemorySegment",
                                MethodType.methodType(ShortVector.class, VectorSpecies.class, segment, long.class,
                                        ByteOrder.class))
                        .asType(MethodType.methodType(ShortVector.class, VectorSpecies.class, Object.class,
                                long.class, ByteOrder.class));
                // a new automatic arena per copy: its memory is freed once the copy is unreachable (one shared
                // arena would keep every copy until the arena itself is unreachable, that is, never)
                MethodHandle ofAuto = lookup.findStatic(arena, "ofAuto", MethodType.methodType(arena));
                MethodHandle alloc = lookup.findVirtual(arena, "allocate",
                        MethodType.methodType(segment, long.class, long.class));
                allocate = MethodHandles.foldArguments(alloc, ofAuto) // (bytes, alignment) -> ofAuto().allocate(...)
                        .asType(MethodType.methodType(Object.class, long.class, long.class));
                // MemorySegment.copy(Object srcArray, int srcIndex, MemorySegment dst, ValueLayout, long dstOffset, int n)
                MethodHandle c = lookup.findStatic(segment, "copy", MethodType.methodType(void.class, Object.class,
                        int.class, segment, layout, long.class, int.class));
                MethodType objects = MethodType.methodType(void.class, Object.class, int.class, Object.class,
                        long.class, int.class);
                copy = MethodHandles.insertArguments(c, 3, layout.getField("JAVA_FLOAT").get(null)).asType(objects);
                copyShorts = MethodHandles.insertArguments(c, 3, layout.getField("JAVA_SHORT").get(null))
                        .asType(objects);
            } catch (ReflectiveOperationException | RuntimeException e) {
                load = null; // not this JDK's API: the heap arrays serve
            }
        }
        boolean all = load != null && loadShorts != null && allocate != null && copy != null && copyShorts != null;
        LOAD = all ? load : null;
        LOAD_SHORTS = all ? loadShorts : null;
        ALLOCATE = allocate;
        COPY = copy;
        COPY_SHORTS = copyShorts;
        SUPPORTED = all;
    }

    private AlignedPanels() {
    }

    /** A 64-byte aligned copy of {@code packed} (the same float at the same index), or null if unsupported. */
    static Object copyOf(float[] packed) {
        return SUPPORTED ? copy(COPY, packed, packed.length, 4L) : null;
    }

    /** A 64-byte aligned copy of bfloat16 panels (the same short at the same index), or null if unsupported. */
    static Object copyOf(short[] packed) {
        return SUPPORTED ? copy(COPY_SHORTS, packed, packed.length, 2L) : null;
    }

    /** {@link #copyOf(float[])} into {@code copy}, made by it from an array of {@code packed}'s length. */
    static Object copyInto(float[] packed, Object copy) {
        try {
            COPY.invokeExact((Object) packed, 0, copy, 0L, packed.length);
            return copy;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("copying packed weights to aligned memory", t);
        }
    }

    private static Object copy(MethodHandle copy, Object array, int length, long bytesPer) {
        try {
            Object seg = ALLOCATE.invokeExact(Math.max(1L, bytesPer * length), ALIGNMENT);
            copy.invokeExact(array, 0, seg, 0L, length);
            return seg;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("copying packed weights to aligned memory", t);
        }
    }
}
