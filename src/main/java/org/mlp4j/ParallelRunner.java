package org.mlp4j;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Runs {@code body.run(0..count-1)} on a ForkJoinPool with pre-allocated, reinitialised tasks, so that a
 * steady-state training step allocates nothing. Without a pool, or for a single index, it runs inline on
 * the calling thread. Which thread runs an index never changes a result: every index writes its own
 * buffers and callers reduce them in index order.
 */
final class ParallelRunner {
    interface Body {
        void run(int index);
    }

    private final ForkJoinPool pool;
    private final Body body;
    private final IndexTask[] tasks;
    private final RootTask root = new RootTask();

    ParallelRunner(ForkJoinPool pool, Body body, int maxCount) {
        this.pool = pool;
        this.body = body;
        this.tasks = new IndexTask[maxCount];
        for (int i = 0; i < maxCount; i++) {
            tasks[i] = new IndexTask(i);
        }
    }

    void run(int count) {
        run(count, false);
    }

    /** Runs the indices; {@code inline} forces the calling thread (work too small to be worth a fork). */
    void run(int count, boolean inline) {
        if (inline || pool == null || count <= 1 || pool.getParallelism() <= 1) {
            for (int i = 0; i < count; i++) {
                body.run(i);
            }
            return;
        }
        root.count = count;
        root.reinitialize();
        pool.invoke(root);
    }

    private final class IndexTask extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final int index;

        IndexTask(int index) {
            this.index = index;
        }

        @Override
        protected void compute() {
            body.run(index);
        }
    }

    private final class RootTask extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        int count;

        @Override
        protected void compute() {
            for (int i = count - 1; i >= 1; i--) {
                tasks[i].reinitialize();
                tasks[i].fork();
            }
            tasks[0].reinitialize();
            tasks[0].invoke();
            for (int i = 1; i < count; i++) {
                tasks[i].join();
            }
        }
    }
}
