package org.mlp4j;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;

/** The calling thread's allocated bytes (HotSpot's per-thread counter), for zero-allocation tests. */
final class Allocations {
    private static final MethodHandle ALLOCATED = allocatedBytesHandle();

    private Allocations() {
    }

    /** com.sun.management's per-thread counter, looked up reflectively (the tests run in the module). */
    private static MethodHandle allocatedBytesHandle() {
        try {
            Class<?> bean = Class.forName("com.sun.management.ThreadMXBean");
            return MethodHandles.publicLookup()
                    .findVirtual(bean, "getThreadAllocatedBytes", MethodType.methodType(long.class, long.class))
                    .bindTo(ManagementFactory.getThreadMXBean());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This thread's allocated bytes so far. */
    static long thisThread() throws Throwable {
        return (long) ALLOCATED.invokeExact(Thread.currentThread().getId());
    }
}
