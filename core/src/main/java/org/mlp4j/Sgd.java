package org.mlp4j;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mlp4j.internal.engine.Checks;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Stochastic gradient descent ({@code torch.optim.SGD}): {@code g = -g} when maximizing; {@code g += wd*p};
 * with momentum {@code buf = g} on the buffer's first step, then {@code buf = mu*buf + (1-dampening)*g};
 * Nesterov uses {@code g + mu*buf}; finally {@code p -= lr*g}.
 *
 * <p>Momentum may be turned on after steps without it: as in PyTorch, the buffer is created at the next step
 * from that step's gradient. Turned off, the buffer is kept (and used again if momentum comes back).
 */
public final class Sgd extends Optimizer {
    private double momentum;
    private double dampening;
    private boolean nesterov;
    private float[] buffer;
    private boolean bufferFresh; // the buffer has not been through a step yet: buf = g

    Sgd(double lr) {
        super(lr);
    }

    @Override
    public String id() {
        return "sgd";
    }

    /**
     * Momentum factor {@code mu >= 0} (default 0: plain SGD).
     *
     * @param momentum the factor {@code mu}, finite and {@code >= 0}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code momentum} is negative, infinite or NaN
     */
    public Sgd momentum(double momentum) {
        this.momentum = Checks.nonNegative("momentum", momentum);
        return this;
    }

    /**
     * Dampening of the momentum's gradient term, {@code >= 0} (default 0).
     *
     * @param dampening the dampening, finite and {@code >= 0}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code dampening} is negative, infinite or NaN
     */
    public Sgd dampening(double dampening) {
        this.dampening = Checks.nonNegative("dampening", dampening);
        return this;
    }

    /**
     * Nesterov momentum (default off; needs momentum > 0 and dampening 0, checked at the first step).
     *
     * @param nesterov true for Nesterov momentum
     * @return this optimizer
     */
    public Sgd nesterov(boolean nesterov) {
        this.nesterov = nesterov;
        return this;
    }

    /**
     * L2 penalty added to the gradient ({@code g + wd*p}), {@code >= 0} (default 0).
     *
     * @param weightDecay the penalty factor {@code wd}, finite and {@code >= 0}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code weightDecay} is negative, infinite or NaN
     */
    public Sgd weightDecay(double weightDecay) {
        this.weightDecay = Checks.nonNegative("weightDecay", weightDecay);
        return this;
    }

    /**
     * Ascend instead of descend: the gradient is negated first (PyTorch's {@code maximize}; default off).
     *
     * @param maximize true to maximize the objective
     * @return this optimizer
     */
    public Sgd maximize(boolean maximize) {
        this.maximize = maximize;
        return this;
    }

    /**
     * The momentum factor.
     *
     * @return the momentum factor, {@code >= 0} (0: plain SGD)
     */
    public double momentum() {
        return momentum;
    }

    /**
     * The dampening.
     *
     * @return the dampening, {@code >= 0}
     */
    public double dampening() {
        return dampening;
    }

    /**
     * True for Nesterov momentum.
     *
     * @return whether Nesterov momentum is on
     */
    public boolean nesterov() {
        return nesterov;
    }

    @Override
    void set(String key, String value) {
        switch (key) {
            case "momentum": momentum(number(key, value)); break;
            case "dampening": dampening(number(key, value)); break;
            case "nesterov": nesterov(flag(key, value)); break;
            case "weight_decay": weightDecay(number(key, value)); break;
            case "maximize": maximize(flag(key, value)); break;
            default: throw new IllegalArgumentException(key + ": not a hyperparameter of sgd");
        }
    }

    @Override
    void validate() {
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("nesterov: expected momentum > 0 and dampening = 0, got momentum "
                    + momentum + " and dampening " + dampening);
        }
    }

    @Override
    void allocate(int n) {
        buffer = momentum != 0 ? new float[n] : null;
        bufferFresh = true;
    }

    @Override
    void prepare() {
        validate(); // nesterov may have been switched on since the first step
        if (momentum != 0 && buffer == null) { // momentum turned on after steps without it
            buffer = new float[size];
            bufferFresh = true;
        }
    }

    @Override
    void restored() {
        bufferFresh = steps == 0;
    }

    @Override
    void update(Kernels k, float[] p, float[] g, int off, int len) {
        k.sgd(p, g, buffer, off, len, (float) learningRate, (float) momentum, (float) dampening, nesterov,
                (float) weightDecay, bufferFresh);
    }

    @Override
    void endStep() {
        super.endStep();
        if (momentum != 0) {
            bufferFresh = false;
        }
    }

    @Override
    public Map<String, String> hyperparameters() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("lr", num(learningRate));
        m.put("momentum", num(momentum));
        m.put("dampening", num(dampening));
        m.put("nesterov", Boolean.toString(nesterov));
        m.put("weight_decay", num(weightDecay));
        m.put("maximize", Boolean.toString(maximize));
        return m;
    }

    @Override
    Map<String, float[]> liveState() {
        Map<String, float[]> m = new LinkedHashMap<>();
        if (buffer != null) {
            m.put("momentum_buffer", buffer);
        }
        return m;
    }

    @Override
    public Map<String, float[]> state() {
        return copies(liveState());
    }
}
