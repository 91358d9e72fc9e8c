package org.mlp4j;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mlp4j.internal.kernel.Kernels;

/**
 * Adam ({@code torch.optim.Adam}, weight decay as a coupled L2 term) or AdamW ({@code torch.optim.AdamW},
 * decoupled: {@code p *= 1 - lr*wd} first). {@code m = b1*m + (1-b1)*g}, {@code v = b2*v + (1-b2)*g^2},
 * {@code p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}.
 */
public final class Adam extends Optimizer {
    private final boolean decoupled;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private float[] m;
    private float[] v;
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

    /** True for AdamW. */
    public boolean decoupledWeightDecay() {
        return decoupled;
    }

    public Adam beta1(double beta1) {
        this.beta1 = Checks.unitInterval("beta1", beta1);
        return this;
    }

    public Adam beta2(double beta2) {
        this.beta2 = Checks.unitInterval("beta2", beta2);
        return this;
    }

    public Adam eps(double eps) {
        this.eps = Checks.nonNegative("eps", eps);
        return this;
    }

    /** L2 term for Adam, decoupled decay for AdamW. */
    public Adam weightDecay(double weightDecay) {
        this.weightDecay = Checks.nonNegative("weightDecay", weightDecay);
        return this;
    }

    public double beta1() {
        return beta1;
    }

    public double beta2() {
        return beta2;
    }

    public double eps() {
        return eps;
    }

    @Override
    void allocate(int n) {
        m = new float[n];
        v = new float[n];
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
        return h;
    }

    @Override
    Map<String, float[]> liveState() {
        Map<String, float[]> s = new LinkedHashMap<>();
        if (m != null) {
            s.put("exp_avg", m);
            s.put("exp_avg_sq", v);
        }
        return s;
    }

    @Override
    public Map<String, float[]> state() {
        return copies(liveState());
    }
}
