package org.mlp4j.internal.engine;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The calling thread plus helper tasks on a ForkJoinPool, working through the phases of a training step.
 *
 * <p>A phase is {@code body.run(0..count-1)}; indices are handed out through an atomic counter, and the
 * calling thread takes them too, so a phase never waits for a helper to wake up. Helpers are submitted
 * once per session ({@link #begin()} .. {@link #end()}, e.g. one training step or one epoch), wait
 * between phases by spinning briefly, then parking in short naps, and linger 2 ms after a session in case
 * another follows: a fork/join per phase costs tens of
 * microseconds on small machines, a published phase costs a few hundred nanoseconds. Which thread runs an
 * index never changes a result: every index writes its own outputs. Nothing is allocated per phase or
 * per session.
 *
 * <p>Publication protocol: {@link #phase} is odd while the caller prepares a phase (helpers stay out) and
 * even once it is published; a helper announces itself in {@link #busy} and re-checks the phase before it
 * reads the phase's fields, and the caller changes those fields only when no helper is busy.
 */
public final class WorkerTeam {
    /** One phase's work, by index. */
    public interface Body {
        /** Runs index {@code index} of the phase. */
        void run(int index);
    }

    private static final int SPINS = 1 << 12;
    private static final long NAP_NANOS = 50_000;
    private static final long LINGER_NANOS = 2_000_000;
    private static final long SPIN_NANOS = 50_000;

    private final ForkJoinPool pool;
    private final Helper[] helpers;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private volatile int phase;
    private volatile boolean active;
    private volatile Throwable failure;
    private boolean session;
    // the published phase, written only while phase is odd and no helper is busy
    private Body body;
    private int count;

    /** A team of the calling thread and {@code helpers} tasks on {@code pool} (null: the caller alone). */
    public WorkerTeam(ForkJoinPool pool, int helpers) {
        this.pool = pool;
        this.helpers = new Helper[pool == null ? 0 : helpers];
        for (int i = 0; i < this.helpers.length; i++) {
            this.helpers[i] = new Helper();
        }
    }

    /** Starts a session: helpers are submitted and stay available until {@link #end()}. */
    public void begin() {
        if (session || helpers.length == 0) {
            return;
        }
        session = true;
        active = true;
        for (Helper h : helpers) {
            // a helper still winding down from the last session sees active again and simply stays
            if (!h.submitted || h.isDone()) {
                h.submitted = true;
                h.reinitialize();
                pool.execute(h);
            }
        }
    }

    /** Ends the session: helpers return to the pool. */
    public void end() {
        if (session) {
            session = false;
            active = false;
        }
    }

    /**
     * Runs {@code body.run(i)} for every {@code i < count} and returns when all have finished; rethrows
     * the first failure. {@code inline} forces the calling thread alone (work too small to share).
     */
    public void run(Body body, int count, boolean inline) {
        if (inline || count <= 1 || helpers.length == 0) {
            for (int i = 0; i < count; i++) {
                body.run(i);
            }
            return;
        }
        boolean own = !session;
        if (own) {
            begin();
        }
        try {
            int p = phase;
            phase = p + 1; // odd: preparing
            while (busy.get() != 0) {
                Thread.onSpinWait();
            }
            this.body = body;
            this.count = count;
            failure = null;
            next.set(0);
            done.set(0);
            phase = p + 2; // even: published
            work();
            for (int spins = 0; done.get() < count; spins++) {
                if (spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            Throwable f = failure;
            if (f != null) {
                if (f instanceof RuntimeException) {
                    throw (RuntimeException) f;
                }
                if (f instanceof Error) {
                    throw (Error) f;
                }
                throw new IllegalStateException(f);
            }
        } finally {
            if (own) {
                end();
            }
        }
    }

    /** Takes indices of the published phase until none is left. */
    private void work() {
        Body b = body;
        int n = count;
        for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
            try {
                b.run(i);
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                }
            } finally {
                done.incrementAndGet();
            }
        }
    }

    private final class Helper extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        boolean submitted; // by the session owner's thread only

        @Override
        protected void compute() {
            int seen = -1;
            int idle = 0;
            long inactiveSince = 0;
            for (;;) {
                if (!active) {
                    // Linger a little: back-to-back sessions (Trainer.step in a loop) keep their helpers
                    // instead of paying a pool wake-up each time.
                    long now = System.nanoTime();
                    if (inactiveSince == 0) {
                        inactiveSince = now;
                    } else if (now - inactiveSince > LINGER_NANOS) {
                        return;
                    }
                    if (now - inactiveSince < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(this, NAP_NANOS);
                    }
                    continue;
                }
                inactiveSince = 0;
                int p = phase;
                if ((p & 1) != 0 || p == seen) {
                    if (++idle < SPINS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(this, NAP_NANOS);
                    }
                    continue;
                }
                busy.incrementAndGet();
                if (phase == p) {
                    seen = p;
                    work();
                    idle = 0;
                }
                busy.decrementAndGet();
            }
        }
    }
}
