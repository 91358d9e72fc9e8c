package org.mlp4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.mlp4j.internal.kernel.Kernels;

/**
 * A gradient-descent optimizer over the network's flat parameter array, with the update rules of
 * {@code torch.optim} (PyTorch 1.13, {@code foreach=False}): {@link Sgd}, {@link Adam} (also AdamW) and
 * {@link RmsProp}. Hyperparameters are set fluently and validated at once; state buffers are created on
 * the first step. An optimizer belongs to one network and is not thread-safe.
 *
 * <pre>{@code
 * Optimizer opt = Optimizer.sgd(0.1).momentum(0.9).nesterov(true);
 * }</pre>
 */
public abstract sealed class Optimizer permits Sgd, Adam, RmsProp {
    double learningRate;
    double weightDecay;
    long steps;
    int size = -1;

    Optimizer(double learningRate) {
        this.learningRate = Checks.nonNegative("learningRate", learningRate);
    }

    /** SGD with learning rate {@code lr} (momentum, dampening, Nesterov and L2 weight decay default to 0/off). */
    public static Sgd sgd(double lr) {
        return new Sgd(lr);
    }

    /** Adam with PyTorch's defaults (betas 0.9/0.999, eps 1e-8, no weight decay). */
    public static Adam adam(double lr) {
        return new Adam(lr, false);
    }

    /** AdamW (decoupled weight decay, default 0.01). */
    public static Adam adamW(double lr) {
        return new Adam(lr, true);
    }

    /** RMSprop with PyTorch's defaults (alpha 0.99, eps 1e-8). */
    public static RmsProp rmsprop(double lr) {
        return new RmsProp(lr);
    }

    /** Name used in files and on the command line: sgd, adam, adamw, rmsprop. */
    public abstract String id();

    public double learningRate() {
        return learningRate;
    }

    /** Changes the learning rate, e.g. from a schedule between steps. */
    public void setLearningRate(double lr) {
        this.learningRate = Checks.nonNegative("learningRate", lr);
    }

    public double weightDecay() {
        return weightDecay;
    }

    /** Steps taken so far. */
    public long steps() {
        return steps;
    }

    /** The hyperparameters by their PyTorch names (lr, momentum, betas, ...), for logs and files. */
    public abstract Map<String, String> hyperparameters();

    /**
     * Applies one update to {@code network}'s parameters with {@code gradients} (same layout).
     *
     * @throws IllegalArgumentException if the gradient length is wrong or contains NaN/infinity
     */
    public void step(Network network, float[] gradients) {
        Objects.requireNonNull(network, "network");
        Checks.length("gradients", gradients, network.parameterCount());
        Checks.finite("gradients", gradients, 0, gradients.length);
        beginStep(network.parameterCount());
        update(network.kernels(), network.parameterArray(), gradients, 0, gradients.length);
        endStep();
        network.parametersChanged();
    }

    /** Validates combined settings, allocates state on the first step and fixes this step's scalars. */
    void beginStep(int parameterCount) {
        if (size == -1) {
            validate();
            allocate(parameterCount);
            size = parameterCount;
        } else if (size != parameterCount) {
            throw new IllegalArgumentException("parameters: this optimizer was used for " + size
                    + " parameters, got " + parameterCount);
        }
        prepare();
    }

    void endStep() {
        steps++;
    }

    void validate() {
    }

    abstract void allocate(int parameterCount);

    /** Computes the per-step scalars (bias corrections) before the elementwise updates. */
    void prepare() {
    }

    /** The elementwise update of {@code [off, off+len)}; ranges may run in parallel. */
    abstract void update(Kernels k, float[] p, float[] g, int off, int len);

    /** Copies of the state buffers by PyTorch's names (empty before the first step). */
    public abstract Map<String, float[]> state();

    /**
     * Restores state saved by {@link #state()} and {@link #steps()} (e.g. from a checkpoint).
     *
     * @throws IllegalArgumentException if a buffer is missing or has the wrong length
     */
    public void restoreState(long steps, Map<String, float[]> state, int parameterCount) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps: expected >= 0, got " + steps);
        }
        Checks.positive("parameterCount", parameterCount);
        validate();
        Map<String, float[]> previous = liveState(); // allocate() replaces the buffers, it does not clear them
        allocate(parameterCount);
        Map<String, float[]> mine = liveState();
        try {
            for (Map.Entry<String, float[]> e : mine.entrySet()) { // check everything before copying anything
                float[] src = state.get(e.getKey());
                if (steps == 0 && src == null) {
                    continue;
                }
                if (src == null) {
                    throw new IllegalArgumentException("state: expected buffer '" + e.getKey() + "', it is missing");
                }
                Checks.length("state buffer " + e.getKey(), src, parameterCount);
            }
        } catch (RuntimeException e) {
            restoreBuffers(previous); // a failed restore leaves the optimizer as it was
            throw e;
        }
        for (Map.Entry<String, float[]> e : mine.entrySet()) {
            float[] src = state.get(e.getKey());
            if (src != null) {
                System.arraycopy(src, 0, e.getValue(), 0, parameterCount);
            }
        }
        this.size = parameterCount;
        this.steps = steps;
    }

    /** Puts back the buffers that {@link #liveState()} returned before a failed {@link #restoreState}. */
    private void restoreBuffers(Map<String, float[]> previous) {
        if (size == -1) {
            return; // never stepped: beginStep allocates afresh
        }
        allocate(size);
        Map<String, float[]> live = liveState();
        previous.forEach((k, v) -> {
            float[] dst = live.get(k);
            if (dst != null && dst.length == v.length) {
                System.arraycopy(v, 0, dst, 0, v.length);
            }
        });
    }

    /** The live state buffers by name. */
    abstract Map<String, float[]> liveState();

    Map<String, float[]> copies(Map<String, float[]> live) {
        Map<String, float[]> out = new LinkedHashMap<>();
        live.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    static String num(double v) {
        return Double.toString(v);
    }
}
