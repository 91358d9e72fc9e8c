package org.mlp4j;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mlp4j.internal.kernel.Kernels;

/**
 * RMSprop ({@code torch.optim.RMSprop}): {@code v = a*v + (1-a)*g^2}; centered subtracts the squared running
 * mean of g; {@code avg = sqrt(v) + eps}; with momentum {@code buf = mu*buf + g/avg, p -= lr*buf}, else
 * {@code p -= lr*g/avg}.
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

    public RmsProp alpha(double alpha) {
        this.alpha = Checks.unitInterval("alpha", alpha);
        return this;
    }

    public RmsProp eps(double eps) {
        this.eps = Checks.nonNegative("eps", eps);
        return this;
    }

    public RmsProp momentum(double momentum) {
        this.momentum = Checks.nonNegative("momentum", momentum);
        return this;
    }

    public RmsProp centered(boolean centered) {
        this.centered = centered;
        return this;
    }

    public RmsProp weightDecay(double weightDecay) {
        this.weightDecay = Checks.nonNegative("weightDecay", weightDecay);
        return this;
    }

    public double alpha() {
        return alpha;
    }

    public double eps() {
        return eps;
    }

    public double momentum() {
        return momentum;
    }

    public boolean centered() {
        return centered;
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
