package org.mlp4j;

/** How {@link Network.Builder#build()} draws the initial weights (biases start at zero). */
public enum WeightInit {
    /** Xavier for identity/sigmoid/tanh/softmax layers, He for the ReLU family (relu, leaky_relu, gelu). */
    AUTO,
    /** Glorot/Xavier uniform: {@code U(-b, b)}, {@code b = sqrt(6 / (in + out))}. */
    XAVIER,
    /** He/Kaiming uniform: {@code U(-b, b)}, {@code b = gain * sqrt(3 / in)}, gain {@code sqrt(2)} (leaky: {@code sqrt(2/(1+slope^2))}). */
    HE
}
