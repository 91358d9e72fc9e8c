package org.mlp4j.spark;

import java.io.Serializable;
import java.util.Arrays;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;

/**
 * A network's architecture and parameters in serializable form: what the driver ships to executors (by
 * broadcast) and rebuilds there as an mlp4j {@link Network}. The network itself is built lazily, once per JVM
 * that deserializes this object, and then shared by that JVM's tasks (inference is thread-safe with one
 * workspace per thread).
 */
final class NetSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    final int[] widths;
    final String[] activations;
    final String loss;
    final float leakySlope;
    final float[] parameters;
    private transient volatile Network network;

    NetSpec(int[] widths, String[] activations, String loss, float leakySlope, float[] parameters) {
        this.widths = widths.clone();
        this.activations = activations.clone();
        this.loss = loss;
        this.leakySlope = leakySlope;
        this.parameters = parameters;
    }

    /** The architecture and a copy of the parameters of {@code net}. */
    static NetSpec of(Network net) {
        int layers = net.layerCount();
        int[] widths = new int[layers + 1];
        String[] acts = new String[layers];
        widths[0] = net.inputSize();
        for (int l = 0; l < layers; l++) {
            widths[l + 1] = net.layout().outputs(l);
            acts[l] = net.activation(l).id();
        }
        return new NetSpec(widths, acts, net.loss().id(), net.leakyReluSlope(), net.parameters());
    }

    /** A new network of this architecture, initialised from {@code seed} (parameters not applied). */
    static Network build(int[] widths, String[] activations, String loss, float leakySlope, long seed) {
        Network.Builder b = Network.builder(widths[0]);
        for (int l = 0; l < activations.length; l++) {
            b.dense(widths[l + 1], Activation.fromId(activations[l]));
        }
        return b.loss(Loss.fromId(loss)).leakyReluSlope(leakySlope).seed(seed).build();
    }

    /** A fresh network holding a copy of these parameters (for training: each task owns its own). */
    Network newNetwork() {
        Network net = build(widths, activations, loss, leakySlope, 0);
        net.setParameters(parameters);
        return net;
    }

    /** The shared read-only network of this JVM (for inference). */
    Network network() {
        Network n = network;
        if (n == null) {
            synchronized (this) {
                n = network;
                if (n == null) {
                    n = newNetwork();
                    network = n;
                }
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "NetSpec" + Arrays.toString(widths) + Arrays.toString(activations) + " " + loss;
    }
}
