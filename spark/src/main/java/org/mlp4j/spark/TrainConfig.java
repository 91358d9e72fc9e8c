package org.mlp4j.spark;

import java.io.Serializable;
import java.util.Locale;
import org.mlp4j.Optimizer;

/** The estimator's training settings in serializable form, shipped to executors with each round's task. */
final class TrainConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    final String optimizer;
    final double learningRate;
    final double momentum;
    final boolean nesterov;
    final double weightDecay;
    final double beta1;
    final double beta2;
    final double eps;
    final double rmsAlpha;
    final int batchSize;
    final int localSteps;
    final long seed;
    final boolean shuffle;
    final int threads;

    TrainConfig(String optimizer, double learningRate, double momentum, boolean nesterov, double weightDecay,
                double beta1, double beta2, double eps, double rmsAlpha, int batchSize, int localSteps, long seed,
                boolean shuffle, int threads) {
        this.optimizer = optimizer.toLowerCase(Locale.ROOT);
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.rmsAlpha = rmsAlpha;
        this.batchSize = batchSize;
        this.localSteps = localSteps;
        this.seed = seed;
        this.shuffle = shuffle;
        this.threads = threads;
    }

    /** A fresh optimizer with these hyperparameters (validated by mlp4j: a bad value fails at fit time). */
    Optimizer newOptimizer() {
        switch (optimizer) {
            case "sgd":
                return Optimizer.sgd(learningRate).momentum(momentum).nesterov(nesterov).weightDecay(weightDecay);
            case "adam":
                return Optimizer.adam(learningRate).beta1(beta1).beta2(beta2).eps(eps).weightDecay(weightDecay);
            case "adamw":
                return Optimizer.adamW(learningRate).beta1(beta1).beta2(beta2).eps(eps).weightDecay(weightDecay);
            case "rmsprop":
                return Optimizer.rmsprop(learningRate).alpha(rmsAlpha).eps(eps).momentum(momentum)
                        .weightDecay(weightDecay);
            default:
                throw new IllegalArgumentException("optimizer: expected one of sgd, adam, adamw, rmsprop, got '"
                        + optimizer + "'");
        }
    }
}
