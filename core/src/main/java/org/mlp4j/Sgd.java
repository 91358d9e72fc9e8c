package org.mlp4j;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Stochastic gradient descent ({@code torch.optim.SGD}): {@code g += wd*p}; with momentum
 * {@code buf = g} on the first step, then {@code buf = mu*buf + (1-dampening)*g}; Nesterov uses
 * {@code g + mu*buf}; finally {@code p -= lr*g}.
 */
public final class Sgd extends Optimizer {
    private double momentum;
    private double dampening;
    private boolean nesterov;
    private float[] buffer;

    Sgd(double lr) {
        super(lr);
    }

    @Override
    public String id() {
        return "sgd";
    }

    public Sgd momentum(double momentum) {
        this.momentum = Checks.nonNegative("momentum", momentum);
        return this;
    }

    public Sgd dampening(double dampening) {
        this.dampening = Checks.nonNegative("dampening", dampening);
        return this;
    }

    public Sgd nesterov(boolean nesterov) {
        this.nesterov = nesterov;
        return this;
    }

    /** L2 penalty added to the gradient ({@code g + wd*p}). */
    public Sgd weightDecay(double weightDecay) {
        this.weightDecay = Checks.nonNegative("weightDecay", weightDecay);
        return this;
    }

    public double momentum() {
        return momentum;
    }

    public double dampening() {
        return dampening;
    }

    public boolean nesterov() {
        return nesterov;
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
    }

    @Override
    void update(Kernels k, float[] p, float[] g, int off, int len) {
        k.sgd(p, g, buffer, off, len, (float) learningRate, (float) momentum, (float) dampening, nesterov,
                (float) weightDecay, steps == 0);
    }

    @Override
    public Map<String, String> hyperparameters() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("lr", num(learningRate));
        m.put("momentum", num(momentum));
        m.put("dampening", num(dampening));
        m.put("nesterov", Boolean.toString(nesterov));
        m.put("weight_decay", num(weightDecay));
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
