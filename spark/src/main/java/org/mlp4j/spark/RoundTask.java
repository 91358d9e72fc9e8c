package org.mlp4j.spark;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.mlp4j.Network;
import org.mlp4j.Optimizer;
import org.mlp4j.Trainer;
import org.mlp4j.TrainingDivergedException;

/**
 * One round on one partition: rebuild the network and optimizer from the broadcast state, run k local steps
 * of mlp4j's {@link Trainer} on this partition's shard, return the parameters and optimizer state.
 *
 * <p>Which examples a step reads depends only on the seed, the partition index and the global step number
 * ({@code round * k + j}), never on what ran before on this executor: a retried task recomputes the same
 * result. Each partition walks its shard in local epochs of {@code ceil(n / batch)} steps, in an order
 * reshuffled per local epoch (or in row order with shuffle off).
 */
final class RoundTask implements Function2<Integer, Iterator<Shard>, Iterator<RoundTask.Result>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<RoundTask.State> state;
    private final TrainConfig config;

    RoundTask(Broadcast<RoundTask.State> state, TrainConfig config) {
        this.state = state;
        this.config = config;
    }

    /** What the driver broadcasts each round: the parameters, optimizer state and the round number. */
    static final class State implements Serializable {
        private static final long serialVersionUID = 1L;
        final NetSpec net;
        final long optimizerSteps;
        final Map<String, float[]> optimizerState;
        final int round;

        State(NetSpec net, long optimizerSteps, Map<String, float[]> optimizerState, int round) {
            this.net = net;
            this.optimizerSteps = optimizerSteps;
            this.optimizerState = optimizerState;
            this.round = round;
        }
    }

    /** One partition's answer; {@code failure != null} when its steps diverged. */
    static final class Result implements Serializable {
        private static final long serialVersionUID = 1L;
        final int partition;
        final long examples;
        final double lossSum;
        final float[] parameters;
        final Map<String, float[]> optimizerState;
        final String failure;

        Result(int partition, long examples, double lossSum, float[] parameters, Map<String, float[]> optimizerState,
               String failure) {
            this.partition = partition;
            this.examples = examples;
            this.lossSum = lossSum;
            this.parameters = parameters;
            this.optimizerState = optimizerState;
            this.failure = failure;
        }
    }

    @Override
    public Iterator<Result> call(Integer partition, Iterator<Shard> shards) {
        Shard shard = shards.hasNext() ? shards.next() : null;
        if (shard == null || shard.size == 0) {
            return Collections.singletonList(new Result(partition, 0, 0, null, null, null)).iterator();
        }
        State s = state.value();
        Network net = s.net.newNetwork();
        Optimizer opt = config.newOptimizer();
        if (s.optimizerSteps > 0) {
            opt.restoreState(s.optimizerSteps, s.optimizerState, net.parameterCount());
        }
        int n = shard.size;
        int f = shard.inputs;
        int batch = Math.min(config.batchSize, n);
        int stepsPerEpoch = (n + batch - 1) / batch;
        float[] x = new float[batch * f];
        float[] y = new float[batch];
        int[] order = new int[n];
        long currentEpoch = -1;
        long examples = 0;
        double lossSum = 0;
        int j = 0;
        try (Trainer trainer = Trainer.builder(net, opt).batchSize(batch).threads(config.threads).shuffle(false)
                .seed(config.seed).build()) {
            for (; j < config.localSteps; j++) {
                long step = (long) s.round * config.localSteps + j;
                long epoch = step / stepsPerEpoch;
                int from = (int) (step % stepsPerEpoch) * batch;
                int count = Math.min(batch, n - from);
                if (epoch != currentEpoch) {
                    fillOrder(order, epoch, partition);
                    currentEpoch = epoch;
                }
                for (int i = 0; i < count; i++) {
                    int r = order[from + i];
                    System.arraycopy(shard.features, r * f, x, i * f, f);
                    y[i] = shard.targets[r];
                }
                lossSum += trainer.step(x, 0, y, 0, count) * count;
                examples += count;
            }
        } catch (TrainingDivergedException e) {
            // The trainer counts epochs and batches of its own fit loop, which step() does not use: say which
            // local step of which partition it was instead.
            String msg = "partition " + partition + ", local step " + (j + 1) + " of " + config.localSteps + ": "
                    + e.getMessage().replaceFirst(" at epoch \\d+, batch \\d+", "");
            return Collections.singletonList(new Result(partition, examples, lossSum, null, null, msg)).iterator();
        }
        return Collections.singletonList(new Result(partition, examples, lossSum, net.parameters(), opt.state(),
                null)).iterator();
    }

    /** Row order of one local epoch: identity, or a Fisher-Yates shuffle seeded by (seed, partition, epoch). */
    private void fillOrder(int[] order, long epoch, int partition) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (!config.shuffle) {
            return;
        }
        long mixed = config.seed * 0x9E3779B97F4A7C15L + partition * 0xC2B2AE3D27D4EB4FL + epoch * 0x165667B19E3779F9L;
        SplittableRandom rnd = new SplittableRandom(mixed);
        for (int i = order.length - 1; i > 0; i--) {
            int k = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[k];
            order[k] = t;
        }
    }
}
