package org.mlp4j;

import org.mlp4j.internal.engine.Checks;

/**
 * The learning rate as a function of the optimizer step. A {@link Trainer} with a schedule sets the
 * optimizer's learning rate to {@code learningRate(step)} before every step, {@code step} counting the
 * steps already taken (0 for the first one, restored progress included), so a resumed run follows the same
 * curve as an uninterrupted one.
 *
 * <pre>{@code
 * long steps = epochs * batchesPerEpoch;
 * LearningRateSchedule s = LearningRateSchedule.cosineWithWarmup(0.1, batchesPerEpoch, steps, 0.0);
 * }</pre>
 *
 * Implementations must be pure functions of {@code step} and must not allocate.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /**
     * The learning rate of step {@code step} (0-based); finite and {@code >= 0}.
     *
     * @param step optimizer steps already taken, {@code >= 0}
     * @return the rate for that step
     */
    double learningRate(long step);

    /**
     * The same rate {@code lr} at every step.
     *
     * @param lr the rate, finite and {@code >= 0}
     * @return a constant schedule
     * @throws IllegalArgumentException if {@code lr} is negative, infinite or NaN
     */
    static LearningRateSchedule constant(double lr) {
        double rate = Checks.nonNegative("lr", lr);
        return step -> rate;
    }

    /**
     * Step decay: {@code lr * gamma^floor(step / stepSize)}, i.e. the rate is multiplied by {@code gamma}
     * every {@code stepSize} steps (PyTorch {@code StepLR} counted in optimizer steps).
     *
     * @param lr       initial rate, {@code >= 0}
     * @param stepSize steps between decays, {@code > 0}
     * @param gamma    decay factor in {@code (0, 1]}
     * @return a step-decay schedule
     * @throws IllegalArgumentException if a value is out of its range
     */
    static LearningRateSchedule stepDecay(double lr, long stepSize, double gamma) {
        double rate = Checks.nonNegative("lr", lr);
        if (stepSize <= 0) {
            throw new IllegalArgumentException("stepSize: expected a positive number of steps, got " + stepSize);
        }
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("gamma: expected a value in (0, 1], got " + gamma);
        }
        return step -> rate * Math.pow(gamma, (double) (Math.max(step, 0) / stepSize));
    }

    /**
     * Linear warm-up then cosine decay. For {@code step < warmupSteps} the rate rises linearly,
     * {@code lr * (step + 1) / warmupSteps} (so the first step is not wasted at rate 0); then it follows
     * {@code minLr + (lr - minLr) * (1 + cos(pi * p)) / 2} with {@code p = (step - warmupSteps) /
     * (totalSteps - warmupSteps)}, reaching {@code minLr} at {@code totalSteps} and staying there.
     *
     * @param lr          peak rate, {@code >= 0}
     * @param warmupSteps steps of linear warm-up, {@code >= 0} and {@code < totalSteps}
     * @param totalSteps  step at which the rate reaches {@code minLr}, {@code > 0}
     * @param minLr       final rate, {@code 0 <= minLr <= lr}
     * @return a warm-up and cosine schedule
     * @throws IllegalArgumentException if a value is out of its range
     */
    static LearningRateSchedule cosineWithWarmup(double lr, long warmupSteps, long totalSteps, double minLr) {
        double peak = Checks.nonNegative("lr", lr);
        double floor = Checks.nonNegative("minLr", minLr);
        if (floor > peak) {
            throw new IllegalArgumentException("minLr: expected a value <= lr " + peak + ", got " + floor);
        }
        if (totalSteps <= 0) {
            throw new IllegalArgumentException("totalSteps: expected a positive number of steps, got " + totalSteps);
        }
        if (warmupSteps < 0 || warmupSteps >= totalSteps) {
            throw new IllegalArgumentException("warmupSteps: expected 0 <= warmupSteps < totalSteps (" + totalSteps
                    + "), got " + warmupSteps);
        }
        return step -> {
            if (step < warmupSteps) {
                return peak * (Math.max(step, 0) + 1) / warmupSteps;
            }
            double p = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
            return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * p));
        };
    }
}
