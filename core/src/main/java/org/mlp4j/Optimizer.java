package org.mlp4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.mlp4j.internal.engine.Checks;
import org.mlp4j.internal.engine.TrainingStep;
import org.mlp4j.internal.engine.Update;
import org.mlp4j.internal.kernel.Kernels;

/**
 * A gradient-descent optimizer over the network's flat parameter array, with the update rules of
 * {@code torch.optim} (PyTorch 1.13, {@code foreach=False}): {@link Sgd}, {@link Adam} (also AdamW) and
 * {@link RmsProp}. Hyperparameters are set fluently and validated at once; state buffers are created on
 * the first step. An optimizer belongs to one network and is not thread-safe.
 *
 * <pre>{@code
 * Optimizer opt = Optimizer.sgd(0.1).momentum(0.9).nesterov(true);
 * Optimizer same = Optimizer.create("sgd", Map.of("lr", "0.1", "momentum", "0.9", "nesterov", "true"));
 * }</pre>
 *
 * <p>Hyperparameters that only scale the update (learning rate, weight decay, betas, ...) may change between
 * steps, as in PyTorch. Those that shape the state follow PyTorch too: turning momentum on later creates its
 * buffer at the next step ({@link Sgd}: from that step's gradient; {@link RmsProp}: from zeros), while
 * {@link RmsProp#centered(boolean)} and {@link Adam#amsgrad(boolean)}, whose state must be tracked from the
 * first step, cannot change once state exists (an {@link IllegalStateException} says so).
 *
 * <p>One departure from PyTorch's default: state values (momentum, Adam's moments, RMSprop's averages) whose
 * magnitude falls below {@link Float#MIN_NORMAL} are stored as zero, as under
 * {@code torch.set_flush_denormal(True)}. A dead unit's momentum otherwise decays through the subnormal range
 * for ~150 steps, and arithmetic on subnormals is many times slower on Intel cores; such a value could not move
 * a parameter of magnitude above {@code lr * 2^-102}.
 */
public abstract sealed class Optimizer permits Sgd, Adam, RmsProp {
    double learningRate;
    double weightDecay;
    boolean maximize;
    long steps;
    int size = -1;
    private final Update update = new Update() {
        @Override
        public void begin(int parameterCount) {
            beginStep(parameterCount);
        }

        @Override
        public void apply(Kernels kernels, float[] p, float[] g, int off, int len) {
            update(kernels, p, g, off, len);
        }

        @Override
        public void end() {
            endStep();
        }

        @Override
        public boolean maximize() {
            return maximize;
        }
    };

    Optimizer(double learningRate) {
        this.learningRate = Checks.nonNegative("learningRate", learningRate);
    }

    /**
     * SGD with learning rate {@code lr} (momentum, dampening, Nesterov and L2 weight decay default to 0/off).
     *
     * @param lr learning rate, finite and {@code >= 0}
     * @return a new SGD optimizer
     * @throws IllegalArgumentException if {@code lr} is negative, infinite or NaN
     */
    public static Sgd sgd(double lr) {
        return new Sgd(lr);
    }

    /**
     * Adam with PyTorch's defaults (betas 0.9/0.999, eps 1e-8, no weight decay, no amsgrad).
     *
     * @param lr learning rate, finite and {@code >= 0}
     * @return a new Adam optimizer
     * @throws IllegalArgumentException if {@code lr} is negative, infinite or NaN
     */
    public static Adam adam(double lr) {
        return new Adam(lr, false);
    }

    /**
     * AdamW (decoupled weight decay, default 0.01).
     *
     * @param lr learning rate, finite and {@code >= 0}
     * @return a new AdamW optimizer
     * @throws IllegalArgumentException if {@code lr} is negative, infinite or NaN
     */
    public static Adam adamW(double lr) {
        return new Adam(lr, true);
    }

    /**
     * RMSprop with PyTorch's defaults (alpha 0.99, eps 1e-8).
     *
     * @param lr learning rate, finite and {@code >= 0}
     * @return a new RMSprop optimizer
     * @throws IllegalArgumentException if {@code lr} is negative, infinite or NaN
     */
    public static RmsProp rmsprop(double lr) {
        return new RmsProp(lr);
    }

    /**
     * The optimizer named {@code name} ({@link #id()}: sgd, adam, adamw, rmsprop; any case) with
     * hyperparameters by their PyTorch names as {@link #hyperparameters()} writes them ({@code lr} is
     * required, every other one defaults as in the factory methods). The one table from names to optimizers:
     * model files and the command line use it.
     *
     * @param name            the optimizer's id (sgd, adam, adamw, rmsprop; any case, surrounding spaces ignored)
     * @param hyperparameters values as text by PyTorch name, e.g. {@code lr -> "0.1"}, {@code momentum -> "0.9"}
     * @return a new optimizer with those hyperparameters and no state
     * @throws IllegalArgumentException naming the optimizer or hyperparameter when the name is unknown, a
     *                                  hyperparameter does not belong to the optimizer, a value is not a
     *                                  number (or true/false) or is out of range
     */
    public static Optimizer create(String name, Map<String, String> hyperparameters) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hyperparameters, "hyperparameters");
        String id = name.trim().toLowerCase(Locale.ROOT);
        String lrText = hyperparameters.get("lr");
        if (lrText == null) {
            throw new IllegalArgumentException("lr: expected the learning rate of optimizer " + id + ", it is missing");
        }
        if (!List.of("sgd", "adam", "adamw", "rmsprop").contains(id)) {
            throw new IllegalArgumentException("optimizer: expected one of sgd, adam, adamw, rmsprop, got '"
                    + abbreviate(name) + "'");
        }
        double lr = number("lr", lrText);
        Optimizer o;
        try {
            o = id.equals("sgd") ? sgd(lr) : id.equals("adam") ? adam(lr) : id.equals("adamw") ? adamW(lr) : rmsprop(lr);
        } catch (IllegalArgumentException e) {
            throw renamed("lr", e);
        }
        Map<String, String> known = o.hyperparameters();
        for (Map.Entry<String, String> e : hyperparameters.entrySet()) {
            String key = Objects.requireNonNull(e.getKey(), "hyperparameter name");
            if (!known.containsKey(key)) {
                throw new IllegalArgumentException(abbreviate(key) + ": not a hyperparameter of " + id
                        + "; expected one of " + String.join(", ", known.keySet()));
            }
            if (!key.equals("lr")) {
                try {
                    o.set(key, Objects.requireNonNull(e.getValue(), key));
                } catch (IllegalArgumentException x) {
                    throw renamed(key, x);
                }
            }
        }
        return o;
    }

    /** The same error, named by the hyperparameter's PyTorch name (setters name their Java parameter). */
    private static IllegalArgumentException renamed(String key, IllegalArgumentException e) {
        String m = String.valueOf(e.getMessage());
        int colon = m.indexOf(": ");
        return new IllegalArgumentException(key + (colon < 0 ? ": " + m : m.substring(colon)), e);
    }

    /**
     * The hyperparameter names {@link #create} accepts for optimizer {@code name}, in a fixed order.
     *
     * @param name the optimizer's id (sgd, adam, adamw, rmsprop; any case)
     * @return the names, unmodifiable, {@code lr} included
     * @throws IllegalArgumentException if the name is unknown
     */
    public static List<String> hyperparameterNames(String name) {
        Optimizer o = create(name, Map.of("lr", "0"));
        return List.copyOf(o.hyperparameters().keySet());
    }

    /** Sets hyperparameter {@code key} (a key of {@link #hyperparameters()} other than lr) from text. */
    abstract void set(String key, String value);

    static double number(String key, String text) {
        try {
            return Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected a number, got '" + abbreviate(text) + "'");
        }
    }

    static boolean flag(String key, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true") || t.equals("false")) {
            return t.equals("true");
        }
        throw new IllegalArgumentException(key + ": expected true or false, got '" + abbreviate(text) + "'");
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /**
     * Name used in files and on the command line: sgd, adam, adamw, rmsprop.
     *
     * @return the optimizer's id, lower case
     */
    public abstract String id();

    /**
     * The current learning rate.
     *
     * @return the learning rate of the next step, {@code >= 0}
     */
    public double learningRate() {
        return learningRate;
    }

    /**
     * Changes the learning rate, e.g. from a schedule between steps.
     *
     * @param lr the new learning rate, finite and {@code >= 0}
     * @throws IllegalArgumentException if {@code lr} is negative, infinite or NaN
     */
    public void setLearningRate(double lr) {
        this.learningRate = Checks.nonNegative("learningRate", lr);
    }

    /**
     * The weight decay (an L2 term, or decoupled decay for AdamW).
     *
     * @return the weight decay, {@code >= 0}
     */
    public double weightDecay() {
        return weightDecay;
    }

    /**
     * True when the optimizer maximizes the objective (PyTorch's {@code maximize}; default false).
     *
     * @return whether updates ascend the objective
     */
    public boolean maximize() {
        return maximize;
    }

    /**
     * Steps taken so far.
     *
     * @return the number of updates applied, including restored ones
     */
    public long steps() {
        return steps;
    }

    /**
     * The hyperparameters by their PyTorch names (lr, momentum, beta1, ...), for logs and files.
     *
     * @return the hyperparameters' values as text, in a fixed order; {@link #create} accepts them back
     */
    public abstract Map<String, String> hyperparameters();

    /**
     * Applies one update to {@code network}'s parameters with {@code gradients} (same layout; not changed).
     * Frozen parameters ({@link Network#setTrainable}) are left alone.
     *
     * @param network   the network to update, the one this optimizer belongs to
     * @param gradients the loss gradient, {@link Network#parameterCount()} finite values in the parameter layout
     * @throws IllegalArgumentException if the gradient length is wrong or contains NaN/infinity
     */
    public void step(Network network, float[] gradients) {
        Objects.requireNonNull(network, "network");
        Checks.length("gradients", gradients, network.parameterCount());
        Checks.finite("gradients", gradients, 0, gradients.length);
        TrainingStep.apply(network.model(), update, gradients);
    }

    /** The view of this optimizer that the engine's training step drives. */
    Update engineUpdate() {
        return update;
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

    /** True once state buffers exist (after the first step or a restore). */
    boolean hasState() {
        return size != -1;
    }

    /** Throws when a state-shaping hyperparameter would change after the state was created. */
    void checkNoState(String name, Object current, Object requested) {
        if (hasState() && !current.equals(requested)) {
            throw new IllegalStateException(name + ": cannot change from " + current + " to " + requested + " after "
                    + "the optimizer state exists (" + steps + " steps taken); set it before the first step or "
                    + "use a new optimizer");
        }
    }

    abstract void allocate(int parameterCount);

    /** Computes the per-step scalars (bias corrections) before the elementwise updates. */
    void prepare() {
    }

    /** Called after {@link #restoreState} copied the buffers. */
    void restored() {
    }

    /** The elementwise update of {@code [off, off+len)}; ranges may run in parallel. */
    abstract void update(Kernels k, float[] p, float[] g, int off, int len);

    /**
     * Copies of the state buffers by PyTorch's names (empty before the first step).
     *
     * @return new arrays, one per buffer, keyed by name (e.g. {@code momentum_buffer}, {@code exp_avg})
     */
    public abstract Map<String, float[]> state();

    /**
     * Restores state saved by {@link #state()} and {@link #steps()} (e.g. from a checkpoint).
     *
     * @param steps          the saved {@link #steps()}, {@code >= 0}
     * @param state          the saved {@link #state()} buffers (copied); with 0 steps missing ones start from zeros
     * @param parameterCount length of every buffer, the network's parameter count ({@code >= 1})
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
        restored();
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
