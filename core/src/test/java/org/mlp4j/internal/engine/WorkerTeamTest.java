package org.mlp4j.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The phase protocol of {@link WorkerTeam}: every index exactly once per phase, failures reach the caller. */
class WorkerTeamTest {

    @Test
    void everyIndexRunsExactlyOncePerPhase() throws Exception {
        ForkJoinPool pool = new ForkJoinPool(3);
        try {
            WorkerTeam team = new WorkerTeam(pool, 3);
            SplittableRandom rnd = new SplittableRandom(1);
            AtomicIntegerArray runs = new AtomicIntegerArray(64);
            for (int session = 0; session < 200; session++) {
                team.begin();
                for (int p = 0; p < 20; p++) {
                    int count = 1 + rnd.nextInt(64);
                    for (int i = 0; i < 64; i++) {
                        runs.set(i, 0);
                    }
                    team.run(i -> runs.incrementAndGet(i), count, false);
                    for (int i = 0; i < 64; i++) {
                        assertEquals(i < count ? 1 : 0, runs.get(i), "session " + session + " phase " + p + " index " + i);
                    }
                }
                team.end();
            }
            // outside a session, run() opens and closes one itself
            for (int i = 0; i < 64; i++) {
                runs.set(i, 0);
            }
            team.run(i -> runs.incrementAndGet(i), 64, false);
            for (int i = 0; i < 64; i++) {
                assertEquals(1, runs.get(i));
            }
        } finally {
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "helpers leave the pool after their session");
        }
    }

    @Test
    void phasesWithDataOffsetsRunEveryIndexExactlyOnce() throws Exception {
        for (int helpers = 1; helpers <= 3; helpers++) {
            ForkJoinPool pool = new ForkJoinPool(helpers);
            try {
                WorkerTeam team = new WorkerTeam(pool, helpers);
                SplittableRandom rnd = new SplittableRandom(helpers);
                AtomicIntegerArray runs = new AtomicIntegerArray(64);
                team.begin();
                for (int p = 0; p < 300; p++) {
                    int count = 1 + rnd.nextInt(64);
                    // ascending offsets with uneven (and empty) gaps, so that some parts hold no index at all
                    int[] offset = new int[count + 1];
                    for (int i = 1; i <= count; i++) {
                        offset[i] = offset[i - 1] + (rnd.nextInt(4) == 0 ? rnd.nextInt(1000) : rnd.nextInt(3));
                    }
                    for (int i = 0; i < 64; i++) {
                        runs.set(i, 0);
                    }
                    team.run(i -> runs.incrementAndGet(i), count, false, offset);
                    for (int i = 0; i < 64; i++) {
                        assertEquals(i < count ? 1 : 0, runs.get(i), helpers + " helpers, phase " + p + " index " + i);
                    }
                }
                team.end();
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void aFailureOnAnyThreadReachesTheCaller() {
        ForkJoinPool pool = new ForkJoinPool(2);
        try {
            WorkerTeam team = new WorkerTeam(pool, 2);
            IllegalStateException boom = new IllegalStateException("boom");
            for (int attempt = 0; attempt < 50; attempt++) {
                IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> team.run(i -> {
                    if (i == 5) {
                        throw boom;
                    }
                }, 16, false));
                assertSame(boom, thrown);
            }
            // and the team still works afterwards
            AtomicIntegerArray runs = new AtomicIntegerArray(16);
            team.run(i -> runs.incrementAndGet(i), 16, false);
            for (int i = 0; i < 16; i++) {
                assertEquals(1, runs.get(i));
            }
        } finally {
            pool.shutdown();
        }
    }
}
