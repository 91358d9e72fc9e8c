package org.mlp4j.jmh;

import java.io.IOException;
import java.nio.file.Path;

import org.mlp4j.Dataset;
import org.mlp4j.Network;
import org.mlp4j.Predictor;
import org.mlp4j.io.Mnist;
import org.mlp4j.io.ModelFiles;

/**
 * MNIST test accuracy of a trained model served in float32 and in bfloat16 ({@link Predictor}), and how many
 * predictions differ. Not a benchmark: run it on a model trained by the CLI with its defaults,
 *
 * <pre>
 * ./mlp4j train --data ../shared/data/mnist -o /tmp/model.safetensors
 * java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar org.mlp4j.jmh.ServingAccuracy \
 *      /tmp/model.safetensors ../shared/data/mnist
 * </pre>
 */
public final class ServingAccuracy {
    private ServingAccuracy() {
    }

    /**
     * @param args the model file ({@code ModelFiles.load}) and the MNIST IDX directory
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ServingAccuracy MODEL.safetensors MNIST_DIR");
            System.exit(2);
        }
        Network net = ModelFiles.load(Path.of(args[0]));
        Dataset test = Mnist.load(Path.of(args[1])).test();
        Predictor fp32 = Predictor.of(net);
        Predictor bf16 = Predictor.of(net, Predictor.Precision.BFLOAT16);
        float[] x = test.features();
        float[] y = test.targets();
        int n = test.size();
        int in = net.inputSize();
        int right32 = 0;
        int right16 = 0;
        int differ = 0;
        for (int s = 0; s < n; s++) {
            int c32 = fp32.predictClass(x, s * in);
            int c16 = bf16.predictClass(x, s * in);
            right32 += c32 == (int) y[s] ? 1 : 0;
            right16 += c16 == (int) y[s] ? 1 : 0;
            differ += c32 != c16 ? 1 : 0;
        }
        System.out.printf("model %s, %d test samples%n", net, n);
        System.out.printf("float32 accuracy %.2f%% (%d), bfloat16 accuracy %.2f%% (%d), difference %.2f pp; "
                + "%d predictions differ%n", 100.0 * right32 / n, right32, 100.0 * right16 / n, right16,
                100.0 * (right16 - right32) / n, differ);
    }
}
