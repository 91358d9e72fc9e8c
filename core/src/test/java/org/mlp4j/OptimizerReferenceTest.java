package org.mlp4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Optimizer steps against PyTorch 1.13 ({@code optimizers/torch_steps.py} wrote the fixture): AMSGrad,
 * {@code maximize}, and SGD momentum switched on after two steps without it.
 */
class OptimizerReferenceTest {
    private static final int STEPS = 5;

    /** name -> rows p0, g1..g5, p1..p5 */
    static Map<String, Map<String, float[]>> fixture() throws IOException {
        Map<String, Map<String, float[]>> cases = new LinkedHashMap<>();
        try (InputStream in = OptimizerReferenceTest.class.getResourceAsStream("/optimizers/torch_steps.txt")) {
            assertTrue(in != null, "fixture optimizers/torch_steps.txt on the test class path");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Map<String, float[]> current = null;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] f = line.trim().split(" ");
                if (f[0].equals("case")) {
                    current = new LinkedHashMap<>();
                    cases.put(f[1], current);
                    continue;
                }
                float[] v = new float[f.length - 1];
                for (int i = 1; i < f.length; i++) {
                    v[i - 1] = Float.parseFloat(f[i]);
                }
                current.put(f[0], v);
            }
        }
        return cases;
    }

    private static void check(String name, Optimizer opt, int switchAfter, java.util.function.Consumer<Optimizer> change)
            throws IOException {
        Map<String, float[]> c = fixture().get(name);
        assertTrue(c != null, "case " + name + " in the fixture");
        Network net = Network.builder(3).dense(2, Activation.IDENTITY).build(); // 8 parameters
        net.setParameters(c.get("p0"));
        for (int t = 1; t <= STEPS; t++) {
            if (change != null && t == switchAfter + 1) {
                change.accept(opt);
            }
            opt.step(net, c.get("g" + t));
            float[] expected = c.get("p" + t);
            float[] actual = net.parameters();
            for (int i = 0; i < expected.length; i++) {
                double tol = 2e-6 * Math.max(1, Math.abs(expected[i]));
                assertEquals(expected[i], actual[i], tol, name + ": parameter " + i + " after step " + t);
            }
        }
    }

    @Test
    void amsgrad() throws IOException {
        check("adam_amsgrad", Optimizer.adam(0.01).amsgrad(true), 0, null);
        check("adam_amsgrad_l2", Optimizer.adam(0.01).amsgrad(true).weightDecay(0.1), 0, null);
        check("adamw_amsgrad", Optimizer.adamW(0.01).amsgrad(true).weightDecay(0.05), 0, null);
    }

    @Test
    void maximize() throws IOException {
        check("adam_maximize", Optimizer.adam(0.01).maximize(true), 0, null);
        check("sgd_maximize", Optimizer.sgd(0.1).momentum(0.9).nesterov(true).weightDecay(0.01).maximize(true), 0,
                null);
        check("rmsprop_maximize", Optimizer.rmsprop(0.01).momentum(0.5).centered(true).maximize(true), 0, null);
    }

    @Test
    void sgdMomentumSwitchedOnLaterStartsItsBufferFromThatStepsGradient() throws IOException {
        // the bug: momentum 0, one step, then momentum(0.9) threw NullPointerException at the next step
        check("sgd_momentum_later", Optimizer.sgd(0.1), 2, o -> ((Sgd) o).momentum(0.9));
    }

    @Test
    void theFixtureHasEveryCase() throws IOException {
        List<String> names = new ArrayList<>(fixture().keySet());
        assertEquals(List.of("adam_amsgrad", "adam_amsgrad_l2", "adamw_amsgrad", "adam_maximize", "sgd_maximize",
                "rmsprop_maximize", "sgd_momentum_later"), names);
    }
}
