package org.mlp4j.spark;

import org.mlp4j.Network;

/**
 * Progress of one synchronous round: its number, the mean training loss of the round's local steps over all
 * partitions (weighted by examples), examples processed, and the driver's wall time for the round.
 */
public final class RoundStats {
    private final int round;
    private final int rounds;
    private final double meanLoss;
    private final long examples;
    private final long nanos;
    private final NetSpec spec;

    RoundStats(int round, int rounds, double meanLoss, long examples, long nanos, NetSpec spec) {
        this.round = round;
        this.rounds = rounds;
        this.meanLoss = meanLoss;
        this.examples = examples;
        this.nanos = nanos;
        this.spec = spec;
    }

    /** The round just finished, counted from 0. */
    public int round() {
        return round;
    }

    /** Number of rounds this fit will run. */
    public int rounds() {
        return rounds;
    }

    /** Mean loss over the examples of this round's local steps (before each step's update). */
    public double meanLoss() {
        return meanLoss;
    }

    /** Examples processed in this round, all partitions together. */
    public long examples() {
        return examples;
    }

    /** Wall time of this round on the driver (broadcast, tasks, collect and averaging), in seconds. */
    public double seconds() {
        return nanos / 1e9;
    }

    /** A new mlp4j network holding the averaged parameters after this round (a copy; e.g. for evaluation). */
    public Network network() {
        return spec.newNetwork();
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "round %d/%d: loss %.6f, %d examples, %.3f s", round + 1, rounds,
                meanLoss, examples, seconds());
    }
}
