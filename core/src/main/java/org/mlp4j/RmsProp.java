package org.mlp4j;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mlp4j.internal.engine.Checks;
import org.mlp4j.internal.kernel.Kernels;

/**
 * RMSprop ({@code torch.optim.RMSprop}): {@code v = a*v + (1-a)*g^2}; centered subtracts the squared running
 * mean of g; {@code avg = sqrt(v) + eps}; with momentum {@code buf = mu*buf + g/avg, p -= lr*buf}, else
 * {@code p -= lr*g/avg}. Maximizing negates the gradient first.
 *
 * <p>Momentum may be turned on after steps without it: its buffer then starts from zeros at the next step,
 * as PyTorch's does at the first. {@link #centered(boolean)} cannot change once state exists.
 */
public final class RmsProp extends Optimizer {
    private double alpha = 0.99;
    private double eps = 1e-8;
    private double momentum;
    private boolean centered;
    private float[] squareAvg;
    private float[] gradAvg;
    private float[] buffer;

    RmsProp(double lr) {
        super(lr);
    }

    @Override
    public String id() {
        return "rmsprop";
    }

    /**
     * Smoothing constant of the squared-gradient average, in {@code [0, 1)} (default 0.99).
     *
     * @param alpha the smoothing constant, {@code 0 <= alpha < 1}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code alpha} is outside {@code [0, 1)}
     */
    public RmsProp alpha(double alpha) {
        this.alpha = Checks.unitInterval("alpha", alpha);
        return this;
    }

    /**
     * Term added to the denominator, {@code >= 0} (default 1e-8).
     *
     * @param eps the term, finite and {@code >= 0}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code eps} is negative, infinite or NaN
     */
    public RmsProp eps(double eps) {
        this.eps = Checks.nonNegative("eps", eps);
        return this;
    }

    /**
     * Momentum factor {@code >= 0} (default 0).
     *
     * @param momentum the factor, finite and {@code >= 0}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code momentum} is negative, infinite or NaN
     */
    public RmsProp momentum(double momentum) {
        this.momentum = Checks.nonNegative("momentum", momentum);
        return this;
    }

    /**
     * Centered RMSprop: normalise by an estimate of the gradient's variance (default off). Its running mean
     * of the gradient is tracked from the first step, so this cannot change once state exists.
     *
     * @param centered true for centered RMSprop
     * @return this optimizer
     * @throws IllegalStateException when changed after the first step
     */
    public RmsProp centered(boolean centered) {
        checkNoState("centered", this.centered, centered);
        this.centered = centered;
        return this;
    }

    /**
     * L2 penalty added to the gradient, {@code >= 0} (default 0).
     *
     * @param weightDecay the penalty factor, finite and {@code >= 0}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code weightDecay} is negative, infinite or NaN
     */
    public RmsProp weightDecay(double weightDecay) {
        this.weightDecay = Checks.nonNegative("weightDecay", weightDecay);
        return this;
    }

    /**
     * Ascend instead of descend: the gradient is negated first (PyTorch's {@code maximize}; default off).
     *
     * @param maximize true to maximize the objective
     * @return this optimizer
     */
    public RmsProp maximize(boolean maximize) {
        this.maximize = maximize;
        return this;
    }

    /**
     * The smoothing constant.
     *
     * @return {@code alpha}, in {@code [0, 1)}
     */
    public double alpha() {
        return alpha;
    }

    /**
     * The denominator term.
     *
     * @return {@code eps}, {@code >= 0}
     */
    public double eps() {
        return eps;
    }

    /**
     * The momentum factor.
     *
     * @return the momentum factor, {@code >= 0} (0: no momentum)
     */
    public double momentum() {
        return momentum;
    }

    /**
     * True for centered RMSprop.
     *
     * @return whether RMSprop is centered
     */
    public boolean centered() {
        return centered;
    }

    @Override
    void set(String key, String value) {
        switch (key) {
            case "alpha": alpha(number(key, value)); break;
            case "eps": eps(number(key, value)); break;
            case "weight_decay": weightDecay(number(key, value)); break;
            case "momentum": momentum(number(key, value)); break;
            case "centered": centered(flag(key, value)); break;
            case "maximize": maximize(flag(key, value)); break;
            default: throw new IllegalArgumentException(key + ": not a hyperparameter of rmsprop");
        }
    }

    @Override
    void prepare() {
        if (momentum > 0 && buffer == null) { // momentum turned on after steps without it
            buffer = new float[size];
        }
    }

    @Override
    void allocate(int n) {
        squareAvg = new float[n];
        gradAvg = centered ? new float[n] : null;
        buffer = momentum > 0 ? new float[n] : null;
    }

    @Override
    void update(Kernels k, float[] p, float[] g, int off, int len) {
        k.rmsprop(p, g, squareAvg, gradAvg, buffer, off, len, (float) learningRate, (float) alpha,
                (float) (1 - alpha), (float) eps, (float) weightDecay, (float) momentum);
    }

    @Override
    public Map<String, String> hyperparameters() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("lr", num(learningRate));
        h.put("alpha", num(alpha));
        h.put("eps", num(eps));
        h.put("weight_decay", num(weightDecay));
        h.put("momentum", num(momentum));
        h.put("centered", Boolean.toString(centered));
        h.put("maximize", Boolean.toString(maximize));
        return h;
    }

    @Override
    Map<String, float[]> liveState() {
        Map<String, float[]> s = new LinkedHashMap<>();
        if (squareAvg != null) {
            s.put("square_avg", squareAvg);
        }
        if (gradAvg != null) {
            s.put("grad_avg", gradAvg);
        }
        if (buffer != null) {
            s.put("momentum_buffer", buffer);
        }
        return s;
    }

    @Override
    public Map<String, float[]> state() {
        return copies(liveState());
    }
}
