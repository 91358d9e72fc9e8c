package org.mlp4j;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mlp4j.internal.engine.Checks;
import org.mlp4j.internal.engine.ScalarUpdates;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Adam ({@code torch.optim.Adam}, weight decay as a coupled L2 term) or AdamW ({@code torch.optim.AdamW},
 * decoupled: {@code p *= 1 - lr*wd} first). {@code m = b1*m + (1-b1)*g}, {@code v = b2*v + (1-b2)*g^2},
 * {@code p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}; with amsgrad, {@code vmax = max(vmax, v)}
 * replaces {@code v} in the denominator. Maximizing negates the gradient first.
 */
public final class Adam extends Optimizer {
    private final boolean decoupled;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private boolean amsgrad;
    private float[] m;
    private float[] v;
    private float[] vMax;
    // per-step scalars, computed in double like PyTorch's Python code, rounded where they meet floats
    private float stepSize;
    private float bc2Sqrt;
    private float decayFactor;

    Adam(double lr, boolean decoupled) {
        super(lr);
        this.decoupled = decoupled;
        this.weightDecay = decoupled ? 0.01 : 0.0;
    }

    @Override
    public String id() {
        return decoupled ? "adamw" : "adam";
    }

    /**
     * True for AdamW.
     *
     * @return true for AdamW (decoupled decay), false for Adam (L2 term)
     */
    public boolean decoupledWeightDecay() {
        return decoupled;
    }

    /**
     * Decay of the first moment, in {@code [0, 1)} (default 0.9).
     *
     * @param beta1 the decay, {@code 0 <= beta1 < 1}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code beta1} is outside {@code [0, 1)}
     */
    public Adam beta1(double beta1) {
        this.beta1 = Checks.unitInterval("beta1", beta1);
        return this;
    }

    /**
     * Decay of the second moment, in {@code [0, 1)} (default 0.999).
     *
     * @param beta2 the decay, {@code 0 <= beta2 < 1}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code beta2} is outside {@code [0, 1)}
     */
    public Adam beta2(double beta2) {
        this.beta2 = Checks.unitInterval("beta2", beta2);
        return this;
    }

    /**
     * Term added to the denominator, {@code >= 0} (default 1e-8).
     *
     * @param eps the term, finite and {@code >= 0}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code eps} is negative, infinite or NaN
     */
    public Adam eps(double eps) {
        this.eps = Checks.nonNegative("eps", eps);
        return this;
    }

    /**
     * L2 term for Adam, decoupled decay for AdamW; {@code >= 0} (defaults 0 and 0.01).
     *
     * @param weightDecay the decay, finite and {@code >= 0}
     * @return this optimizer
     * @throws IllegalArgumentException if {@code weightDecay} is negative, infinite or NaN
     */
    public Adam weightDecay(double weightDecay) {
        this.weightDecay = Checks.nonNegative("weightDecay", weightDecay);
        return this;
    }

    /**
     * AMSGrad: divide by the running maximum of the second moment (default off). Its state is tracked from the
     * first step, so it cannot change once state exists.
     *
     * @param amsgrad true to use AMSGrad
     * @return this optimizer
     * @throws IllegalStateException when changed after the first step
     */
    public Adam amsgrad(boolean amsgrad) {
        checkNoState("amsgrad", this.amsgrad, amsgrad);
        this.amsgrad = amsgrad;
        return this;
    }

    /**
     * Ascend instead of descend: the gradient is negated first (PyTorch's {@code maximize}; default off).
     *
     * @param maximize true to maximize the objective
     * @return this optimizer
     */
    public Adam maximize(boolean maximize) {
        this.maximize = maximize;
        return this;
    }

    /**
     * The first-moment decay.
     *
     * @return {@code beta1}, in {@code [0, 1)}
     */
    public double beta1() {
        return beta1;
    }

    /**
     * The second-moment decay.
     *
     * @return {@code beta2}, in {@code [0, 1)}
     */
    public double beta2() {
        return beta2;
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
     * True with AMSGrad.
     *
     * @return whether AMSGrad is on
     */
    public boolean amsgrad() {
        return amsgrad;
    }

    @Override
    void set(String key, String value) {
        switch (key) {
            case "beta1": beta1(number(key, value)); break;
            case "beta2": beta2(number(key, value)); break;
            case "eps": eps(number(key, value)); break;
            case "weight_decay": weightDecay(number(key, value)); break;
            case "amsgrad": amsgrad(flag(key, value)); break;
            case "maximize": maximize(flag(key, value)); break;
            default: throw new IllegalArgumentException(key + ": not a hyperparameter of " + id());
        }
    }

    @Override
    void allocate(int n) {
        m = new float[n];
        v = new float[n];
        vMax = amsgrad ? new float[n] : null;
    }

    @Override
    void prepare() {
        long t = steps + 1;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        stepSize = (float) (learningRate / bc1);
        bc2Sqrt = (float) Math.sqrt(bc2);
        decayFactor = (float) (1 - learningRate * weightDecay);
    }

    @Override
    void update(Kernels k, float[] p, float[] g, int off, int len) {
        if (amsgrad) {
            ScalarUpdates.amsgrad(p, g, m, v, vMax, off, len, (float) beta1, (float) (1 - beta1), (float) beta2,
                    (float) (1 - beta2), (float) eps, stepSize, bc2Sqrt, (float) weightDecay, decoupled, decayFactor);
            return;
        }
        k.adam(p, g, m, v, off, len, (float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
                (float) eps, stepSize, bc2Sqrt, (float) weightDecay, decoupled, decayFactor);
    }

    @Override
    public Map<String, String> hyperparameters() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("lr", num(learningRate));
        h.put("beta1", num(beta1));
        h.put("beta2", num(beta2));
        h.put("eps", num(eps));
        h.put("weight_decay", num(weightDecay));
        h.put("amsgrad", Boolean.toString(amsgrad));
        h.put("maximize", Boolean.toString(maximize));
        return h;
    }

    @Override
    Map<String, float[]> liveState() {
        Map<String, float[]> s = new LinkedHashMap<>();
        if (m != null) {
            s.put("exp_avg", m);
            s.put("exp_avg_sq", v);
        }
        if (vMax != null) {
            s.put("max_exp_avg_sq", vMax);
        }
        return s;
    }

    @Override
    public Map<String, float[]> state() {
        return copies(liveState());
    }
}
