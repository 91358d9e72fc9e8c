import java.io.FileInputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * Two (or more) builds of mlp4j in one JVM, each through its own class loader, timed in alternating rounds: on a
 * shared VM whose speed moves by tens of percent from one process to the next, the only comparison of kernel
 * changes that held up (see the README's performance section). Not a JMH benchmark: a round is the best of
 * {@code reps} calls; it prints each build's best round and the median of the second half of the rounds.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector jmh/ab/BuildAB.java infer 128 old=old.jar new=core/target/mlp4j-0.1.0-SNAPSHOT.jar
 * java --add-modules jdk.incubator.vector jmh/ab/BuildAB.java train 256 2 old=old.jar new=new.jar
 * </pre>
 *
 * A build is {@code name=jar} or {@code name=jar@property=value,...} (system properties set while that build's
 * network is built, so that its kernel classes initialise with them). Properties of this tool: {@code rounds}
 * (20), {@code reps} (30), {@code layer} (e.g. {@code 784x256}: one identity layer instead of the MNIST net),
 * {@code images} (an MNIST IDX images .gz file: real inputs instead of uniform ones), {@code mnist} (the
 * directory of the MNIST files for {@code train}, default {@code data/mnist}). {@code infer} runs
 * {@code Network.predictBatch} with a workspace and checks that every build gives the first one's bits.
 *
 * <p>Caution (AMD EPYC Zen 4, 2026-12-06): with two builds in one JVM the second one loaded ran 3-17 % slower,
 * whichever it was (both orders measured: the JDK's vector classes and their profiles are shared), and two
 * 2-thread trainers ran 4x slower than either alone (not investigated). There, one build per JVM with a property
 * ({@code name=jar@property=value}), JVMs alternated, was the comparison that held.
 */
public final class BuildAB {
    private interface Call {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || !(args[0].equals("infer") || args[0].equals("train"))) {
            throw new IllegalArgumentException("usage: infer BATCH name=jar... | train BATCH THREADS name=jar...");
        }
        boolean train = args[0].equals("train");
        int batch = Integer.parseInt(args[1]);
        int threads = train ? Integer.parseInt(args[2]) : 1;
        int first = train ? 3 : 2;
        int n = args.length - first;
        String[] names = new String[n];
        Call[] calls = new Call[n];
        float[][] outs = new float[n][];
        for (int i = 0; i < n; i++) {
            String[] kv = args[first + i].split("=", 2);
            names[i] = kv[0];
            String[] jarProps = kv[1].split("@", 2);
            List<String> set = new ArrayList<>();
            if (jarProps.length > 1) {
                for (String pv : jarProps[1].split(",")) {
                    String[] p = pv.split("=", 2);
                    System.setProperty(p[0], p[1]);
                    set.add(p[0]);
                }
            }
            ClassLoader cl = new URLClassLoader(new URL[] {Path.of(jarProps[0]).toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            if (train) {
                calls[i] = trainer(cl, batch, threads);
            } else {
                outs[i] = new float[batch * 10];
                calls[i] = predictor(cl, batch, outs, i);
            }
            calls[i].run();
            set.forEach(System::clearProperty);
        }
        for (int i = 1; i < n && !train; i++) {
            System.out.println(names[i] + " same bits as " + names[0] + ": "
                    + Arrays.equals(outs[0], outs[i]));
        }
        int rounds = Integer.getInteger("rounds", 20);
        int reps = Integer.getInteger("reps", 30);
        double[][] best = new double[n][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < n; i++) {
                long min = Long.MAX_VALUE;
                for (int k = 0; k < reps; k++) {
                    long t0 = System.nanoTime();
                    calls[i].run();
                    min = Math.min(min, System.nanoTime() - t0);
                }
                best[i][r] = min / 1e3;
            }
        }
        for (int i = 0; i < n; i++) {
            double[] all = best[i].clone();
            Arrays.sort(all);
            double[] tail = Arrays.copyOfRange(best[i], rounds / 2, rounds);
            Arrays.sort(tail);
            System.out.printf("%-8s best %9.1f us   median of the second half %9.1f us%n", names[i], all[0],
                    tail[tail.length / 2]);
        }
    }

    /** The MNIST net 784-256-128-10 (or one {@code layer}), seeded, as a builder of that build's classes. */
    private static Object network(ClassLoader cl, int inputs, boolean loss) throws Exception {
        Class<?> net = cl.loadClass("org.mlp4j.Network");
        Class<?> act = cl.loadClass("org.mlp4j.Activation");
        Object relu = act.getField("RELU").get(null);
        Object identity = act.getField("IDENTITY").get(null);
        Object b = net.getMethod("builder", int.class).invoke(null, inputs);
        Method dense = b.getClass().getMethod("dense", int.class, act);
        String layer = System.getProperty("layer");
        if (layer != null && !loss) {
            dense.invoke(b, Integer.parseInt(layer.split("x")[1]), identity);
        } else {
            dense.invoke(b, 256, relu);
            dense.invoke(b, 128, relu);
            dense.invoke(b, 10, identity);
        }
        if (loss) {
            Class<?> l = cl.loadClass("org.mlp4j.Loss");
            b.getClass().getMethod("loss", l).invoke(b, l.getField("CROSS_ENTROPY").get(null));
        }
        b.getClass().getMethod("seed", long.class).invoke(b, 42L);
        return b.getClass().getMethod("build").invoke(b);
    }

    private static Call predictor(ClassLoader cl, int batch, float[][] outs, int i) throws Exception {
        String layer = System.getProperty("layer");
        int inputs = layer != null ? Integer.parseInt(layer.split("x")[0]) : 784;
        Object network = network(cl, inputs, false);
        Class<?> net = network.getClass();
        int outputs = (int) net.getMethod("outputSize").invoke(network);
        outs[i] = new float[batch * outputs];
        float[] in = inputs(batch * inputs);
        Object ws = net.getMethod("newWorkspace", int.class).invoke(network, batch);
        Method predictBatch = net.getMethod("predictBatch", float[].class, int.class, float[].class, ws.getClass());
        float[] out = outs[i];
        return () -> predictBatch.invoke(network, in, batch, out, ws);
    }

    private static float[] inputs(int length) throws IOException {
        float[] in = new float[length];
        String images = System.getProperty("images");
        if (images != null) {
            try (GZIPInputStream z = new GZIPInputStream(new FileInputStream(images))) {
                byte[] all = z.readAllBytes(); // IDX: a 16-byte header, then one byte per pixel
                for (int i = 0; i < length; i++) {
                    in[i] = (all[16 + i] & 0xff) / 255f;
                }
            }
        } else {
            Random r = new Random(1);
            for (int i = 0; i < length; i++) {
                in[i] = r.nextFloat();
            }
        }
        return in;
    }

    /** Training steps on real MNIST (SGD, momentum 0.9), as {@code TrainingBenchmark} runs them. */
    private static Call trainer(ClassLoader cl, int batch, int threads) throws Exception {
        Object network = network(cl, 784, true);
        Class<?> net = cl.loadClass("org.mlp4j.Network");
        Class<?> opt = cl.loadClass("org.mlp4j.Optimizer");
        Class<?> trainer = cl.loadClass("org.mlp4j.Trainer");
        Object o = opt.getMethod("sgd", double.class).invoke(null, 0.1);
        o = o.getClass().getMethod("momentum", double.class).invoke(o, 0.9);
        Object b = trainer.getMethod("builder", net, opt).invoke(null, network, o);
        b.getClass().getMethod("batchSize", int.class).invoke(b, batch);
        b.getClass().getMethod("threads", int.class).invoke(b, threads);
        Object t = b.getClass().getMethod("build").invoke(b);
        Object mnist = cl.loadClass("org.mlp4j.io.Mnist").getMethod("load", Path.class)
                .invoke(null, Path.of(System.getProperty("mnist", "data/mnist")));
        Object data = mnist.getClass().getMethod("train").invoke(mnist);
        int pool = 2560 / batch * batch;
        float[] x = Arrays.copyOf((float[]) data.getClass().getMethod("features").invoke(data), pool * 784);
        float[] y = Arrays.copyOf((float[]) data.getClass().getMethod("targets").invoke(data), pool);
        Method step = trainer.getMethod("step", float[].class, int.class, float[].class, int.class, int.class);
        int[] cursor = {0};
        return () -> {
            int s = cursor[0];
            cursor[0] = s + batch >= pool ? 0 : s + batch;
            step.invoke(t, x, s * 784, y, s, batch);
        };
    }
}
