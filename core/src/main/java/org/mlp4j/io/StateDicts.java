package org.mlp4j.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;

/** Maps a PyTorch state dict of {@code nn.Linear} layers ({@code <module>.weight}, {@code <module>.bias}). */
final class StateDicts {
    private StateDicts() {
    }

    /** One {@code nn.Linear} module: its path and tensor names. */
    private record Linear(String module, String weight, String bias) {
    }

    /** The module path of a tensor name ({@code "2"} for {@code "2.weight"}, {@code ""} for {@code "weight"}). */
    private static String module(String name, String suffix) {
        return name.equals(suffix) ? "" : name.substring(0, name.length() - suffix.length() - 1);
    }

    private static boolean endsWith(String name, String suffix) {
        return name.equals(suffix) || name.endsWith("." + suffix);
    }

    /** Orders module paths segment by segment, numbers as numbers ({@code 2 < 10}, {@code fc2 < fc10}). */
    static final Comparator<String> NATURAL = (a, b) -> {
        String[] x = a.split("(?<=\\D)(?=\\d)|(?<=\\d)(?=\\D)");
        String[] y = b.split("(?<=\\D)(?=\\d)|(?<=\\d)(?=\\D)");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c;
            if (!x[i].isEmpty() && !y[i].isEmpty() && Character.isDigit(x[i].charAt(0))
                    && Character.isDigit(y[i].charAt(0))) {
                String p = x[i].replaceFirst("^0+(?=.)", "");
                String q = y[i].replaceFirst("^0+(?=.)", "");
                c = p.length() != q.length() ? Integer.compare(p.length(), q.length()) : p.compareTo(q);
            } else {
                c = x[i].compareTo(y[i]);
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    };

    /** The {@code nn.Linear} modules in order, or a description of the first tensor that is not one. */
    private static List<Linear> linears(SafeTensorsFile f, List<String> problems) {
        Map<String, String[]> byModule = new LinkedHashMap<>();
        for (String name : f.names()) {
            int[] shape = f.shape(name);
            if (endsWith(name, "weight") && shape.length == 2) {
                byModule.computeIfAbsent(module(name, "weight"), k -> new String[2])[0] = name;
            } else if (endsWith(name, "bias") && shape.length == 1) {
                byModule.computeIfAbsent(module(name, "bias"), k -> new String[2])[1] = name;
            } else {
                problems.add("tensor '" + SafeTensors.abbreviate(name) + "' of shape " + Arrays.toString(shape)
                        + " is not an nn.Linear weight [out, in] or bias [out]");
            }
        }
        List<String> modules = new ArrayList<>(byModule.keySet());
        modules.sort(NATURAL);
        List<Linear> out = new ArrayList<>();
        for (String m : modules) {
            String[] wb = byModule.get(m);
            String prefix = m.isEmpty() ? "" : m + ".";
            if (wb[0] == null) {
                problems.add("tensor '" + prefix + "weight' is missing (the file has '" + SafeTensors.abbreviate(wb[1])
                        + "' of shape " + Arrays.toString(f.shape(wb[1])) + " without its weight)");
            } else if (wb[1] == null) {
                problems.add("tensor '" + prefix + "bias' of shape [" + f.shape(wb[0])[0] + "] is missing (for '"
                        + SafeTensors.abbreviate(wb[0]) + "' " + Arrays.toString(f.shape(wb[0]))
                        + "; nn.Linear(bias=False) is not supported)");
            } else {
                out.add(new Linear(m, wb[0], wb[1]));
            }
        }
        return out;
    }

    /** "3 nn.Linear layers: 0.weight [16, 6], ..." when the file is a state dict of linears, else null. */
    static String describe(SafeTensorsFile f) {
        List<String> problems = new ArrayList<>();
        List<Linear> l = linears(f, problems);
        if (l.isEmpty() || !problems.isEmpty()) {
            return null;
        }
        return l.size() + " nn.Linear layer" + (l.size() == 1 ? "" : "s") + " (" + list(f, l) + ")";
    }

    private static String list(SafeTensorsFile f, List<Linear> l) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < l.size() && i < 20; i++) {
            sb.append(i == 0 ? "" : ", ").append(SafeTensors.abbreviate(l.get(i).weight)).append(' ')
                    .append(Arrays.toString(f.shape(l.get(i).weight)));
        }
        return sb.append(l.size() > 20 ? ", ..." : "").toString();
    }

    static Network network(SafeTensorsFile f, Loss loss, List<Activation> acts) throws ModelFormatException {
        Path file = f.source();
        List<String> problems = new ArrayList<>();
        List<Linear> layers = linears(f, problems);
        if (!problems.isEmpty()) {
            throw new ModelFormatException(file + ": expected a state dict of nn.Linear layers (keys like 0.weight, "
                    + "0.bias, 2.weight, ...): " + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : ""));
        }
        if (layers.size() != acts.size()) {
            StringBuilder given = new StringBuilder();
            for (Activation a : acts) {
                given.append(given.length() == 0 ? "" : ",").append(a.id());
            }
            throw new ModelFormatException(file + ": expected " + acts.size() + " nn.Linear layers (one per activation "
                    + "given: " + (acts.isEmpty() ? "none" : given) + "), the file has " + layers.size()
                    + (layers.isEmpty() ? "" : ": " + list(f, layers)));
        }
        int[] first = f.shape(layers.get(0).weight);
        Network.Builder b = Network.builder(first[1]).loss(loss);
        int width = first[1];
        for (int l = 0; l < layers.size(); l++) {
            Linear lin = layers.get(l);
            int[] w = f.shape(lin.weight);
            int[] bias = f.shape(lin.bias);
            if (w[1] != width) {
                throw new ModelFormatException(file + ": tensor '" + SafeTensors.abbreviate(lin.weight) + "' has shape "
                        + Arrays.toString(w) + ": expected [" + w[0] + ", " + width + "] (its input is the " + width
                        + " outputs of '" + SafeTensors.abbreviate(layers.get(l - 1).weight) + "')");
            }
            if (bias[0] != w[0]) {
                throw new ModelFormatException(file + ": tensor '" + SafeTensors.abbreviate(lin.bias) + "' has shape "
                        + Arrays.toString(bias) + ": expected [" + w[0] + "] (the outputs of '"
                        + SafeTensors.abbreviate(lin.weight) + "' " + Arrays.toString(w) + ")");
            }
            if (w[0] < 1 || w[1] < 1 || w[0] > ModelFiles.MAX_WIDTH || w[1] > ModelFiles.MAX_WIDTH) {
                throw new ModelFormatException(file + ": tensor '" + SafeTensors.abbreviate(lin.weight) + "' has shape "
                        + Arrays.toString(w) + ": expected widths from 1 to " + ModelFiles.MAX_WIDTH);
            }
            b.dense(w[0], acts.get(l));
            width = w[0];
        }
        Network net;
        try {
            net = b.build();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": the activations and loss given do not fit: " + e.getMessage(), e);
        }
        for (int l = 0; l < layers.size(); l++) {
            try {
                net.setWeights(l, f.floats(layers.get(l).weight));
                net.setBias(l, f.floats(layers.get(l).bias));
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file + ": tensors '" + SafeTensors.abbreviate(layers.get(l).module)
                        + ".*': " + e.getMessage(), e);
            }
        }
        return net;
    }
}
