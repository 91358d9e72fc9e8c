package org.mlp4j.cli;

import java.lang.management.ManagementFactory;

/** Wall time counted from the start of the Java process, so that reported times include JVM start-up. */
final class Clock {
    private Clock() {
    }

    /**
     * The {@link System#nanoTime()} value of the moment the JVM started (the runtime's own start time, in
     * milliseconds; it misses only the few milliseconds before the JVM records it). Not the operating system's
     * process start time: on Linux that is derived from the boot time in whole seconds, up to a second off.
     */
    static long processStartNanos() {
        long now = System.nanoTime();
        long sinceStart;
        try {
            sinceStart = (System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime()) * 1_000_000L;
        } catch (RuntimeException | LinkageError e) {
            return now; // no management module (a trimmed runtime): count from here
        }
        // A start time in the future, or days ago, is a clock problem: count from now instead.
        return sinceStart < 0 || sinceStart > 86_400_000_000_000L ? now : now - sinceStart;
    }
}
