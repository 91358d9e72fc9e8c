package org.mlp4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.mlp4j.Activation;
import org.mlp4j.Loss;
import org.mlp4j.Network;

/**
 * Imports dense networks from <a href="https://onnx.ai">ONNX</a> files, as written by {@code torch.onnx.export}
 * of an {@code nn.Sequential} of {@code nn.Linear} and activations, or by converters that emit
 * {@code MatMul + Add} (e.g. scikit-learn's MLP converters).
 *
 * <p>The graph must be one chain from its single input to its single output made of these operators (default
 * domain, any opset): {@code Gemm} (with {@code transA = 0}; {@code alpha}, {@code beta} and {@code transB}
 * honoured), {@code MatMul} with a constant right-hand side, {@code Add} of a constant bias after
 * {@code MatMul}/{@code Gemm}, the activations {@code Relu}, {@code Sigmoid}, {@code Tanh}, {@code LeakyRelu}
 * (one {@code alpha} for the whole network), {@code Softmax} (last axis, output layer only), {@code Gelu}
 * (opset 20, {@code approximate} none or tanh) and the {@code Div, Erf, Add, Mul, Mul} pattern that older
 * opsets use for the exact GELU, plus {@code Identity}, {@code Dropout} (inference: identity) and
 * {@code Flatten} (axis 1). Weights come from initializers or {@code Constant} nodes, as FLOAT, DOUBLE,
 * FLOAT16 or BFLOAT16 (widened or rounded to float). Anything else is refused with a
 * {@link ModelFormatException} naming the node and its operator.
 *
 * <p>The loss of the returned network (which matters only for further training) follows its output:
 * softmax gives {@link Loss#CROSS_ENTROPY}, sigmoid {@link Loss#BCE}, anything else {@link Loss#MSE}.
 *
 * <p>The reader is a small bounded protocol-buffers parser with no dependencies. The file is untrusted: every
 * length is checked against the bytes present, tensor sizes against their data, and damage is reported as a
 * {@link ModelFormatException} naming the file. Files up to {@value #MAX_FILE_BYTES} bytes are accepted
 * (ONNX itself stores larger models as external data, which is refused).
 */
public final class Onnx {
    /** Largest file accepted: what one Java array holds. */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private static final int FLOAT = 1;
    private static final int FLOAT16 = 10;
    private static final int DOUBLE = 11;
    private static final int BFLOAT16 = 16;
    private static final String SUPPORTED = "Gemm, MatMul, Add (bias), Relu, Sigmoid, Tanh, LeakyRelu, Softmax, "
            + "Gelu (or its Div/Erf/Add/Mul/Mul pattern), Identity, Dropout, Flatten";

    private static final Set<String> OPERATORS = Set.of("Gemm", "MatMul", "Add", "Relu", "Sigmoid", "Tanh",
            "LeakyRelu", "Softmax", "Gelu", "Identity", "Dropout", "Flatten");

    private Onnx() {
    }

    /**
     * Reads a dense network from an ONNX file.
     *
     * @param file the {@code .onnx} file
     * @return the network, with the file's weights
     * @throws ModelFormatException if the file is not a valid ONNX model or holds operators, shapes or
     *                              structure this importer does not support (the message names the node)
     * @throws IOException          if the file cannot be read
     */
    public static Network load(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new ModelFormatException(file + ": expected an ONNX file of at most " + MAX_FILE_BYTES
                    + " bytes, got " + size);
        }
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (3 * size > available) { // the file, then its weights as floats (at most as large again), with room
            throw new ModelFormatException(file + ": an ONNX file of " + size + " bytes needs about " + 3 * size
                    + " bytes of heap to import, more than the " + available + " left (-Xmx " + rt.maxMemory()
                    + " bytes)");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) size);
        }
        return load(file, bytes);
    }

    static Network load(Path file, byte[] bytes) throws ModelFormatException {
        Graph g;
        try {
            g = parseModel(bytes);
        } catch (Protobuf.Malformed e) {
            throw new ModelFormatException(file + ": not a valid ONNX model (protobuf): " + e.getMessage());
        }
        return new Importer(file, g).run();
    }

    // ------------------------------------------------------------------------------------------------ parsing

    /** A tensor from an initializer or a Constant node; {@code data} is null for non-float types. */
    private record TensorValue(String name, long[] dims, int dataType, float[] data) {
    }

    private record Attribute(String name, float f, long i, String s, TensorValue t, boolean hasF, boolean hasI) {
    }

    private static final class Node {
        final int index;
        String name = "";
        String op = "";
        String domain = "";
        final List<String> inputs = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();
        final Map<String, Attribute> attributes = new HashMap<>();

        Node(int index) {
            this.index = index;
        }

        @Override
        public String toString() {
            return "node " + (name.isEmpty() ? "#" + index : "'" + SafeTensors.abbreviate(name) + "'") + " ("
                    + SafeTensors.abbreviate(op) + ")";
        }
    }

    private static final class Graph {
        long irVersion = -1;
        boolean hasGraph;
        final List<Node> nodes = new ArrayList<>();
        final Map<String, TensorValue> initializers = new LinkedHashMap<>();
        final List<String> inputs = new ArrayList<>();
        final Map<String, long[]> inputShapes = new HashMap<>();
        final List<String> outputs = new ArrayList<>();
    }

    private static Graph parseModel(byte[] bytes) throws Protobuf.Malformed {
        Graph g = new Graph();
        Protobuf p = new Protobuf(bytes, 0, bytes.length);
        while (p.next()) {
            if (p.field() == 1) {
                g.irVersion = p.int64();
            } else if (p.field() == 7) {
                if (g.hasGraph) {
                    throw new Protobuf.Malformed("more than one graph");
                }
                g.hasGraph = true;
                parseGraph(p.message(), g);
            } else {
                p.skip();
            }
        }
        if (g.irVersion < 1 || !g.hasGraph) {
            throw new Protobuf.Malformed("expected an ir_version and a graph (is this an ONNX file?), got "
                    + (g.irVersion < 1 ? "no ir_version" : "no graph"));
        }
        return g;
    }

    private static void parseGraph(Protobuf p, Graph g) throws Protobuf.Malformed {
        while (p.next()) {
            switch (p.field()) {
                case 1:
                    p.count();
                    g.nodes.add(parseNode(p.message(), g.nodes.size()));
                    break;
                case 5: {
                    p.count();
                    TensorValue t = parseTensor(p.message());
                    if (g.initializers.put(t.name, t) != null) {
                        throw new Protobuf.Malformed("two initializers named '" + SafeTensors.abbreviate(t.name) + "'");
                    }
                    break;
                }
                case 11: {
                    Protobuf v = p.message();
                    String name = "";
                    long[] shape = null;
                    while (v.next()) {
                        if (v.field() == 1) {
                            name = v.string();
                        } else if (v.field() == 2) {
                            shape = parseTypeShape(v.message());
                        } else {
                            v.skip();
                        }
                    }
                    p.count();
                    g.inputs.add(name);
                    if (shape != null) {
                        g.inputShapes.put(name, shape);
                    }
                    break;
                }
                case 12: {
                    Protobuf v = p.message();
                    String name = "";
                    while (v.next()) {
                        if (v.field() == 1) {
                            name = v.string();
                        } else {
                            v.skip();
                        }
                    }
                    p.count();
                    g.outputs.add(name);
                    break;
                }
                default:
                    p.skip();
            }
        }
    }

    /** TypeProto -> tensor_type -> shape: dim_value, or -1 for a symbolic or missing dimension. */
    private static long[] parseTypeShape(Protobuf type) throws Protobuf.Malformed {
        long[] shape = null;
        while (type.next()) {
            if (type.field() != 1) {
                type.skip();
                continue;
            }
            Protobuf tensorType = type.message();
            while (tensorType.next()) {
                if (tensorType.field() != 2) {
                    tensorType.skip();
                    continue;
                }
                Protobuf shapeProto = tensorType.message();
                List<Long> dims = new ArrayList<>();
                while (shapeProto.next()) {
                    if (shapeProto.field() != 1) {
                        shapeProto.skip();
                        continue;
                    }
                    Protobuf dim = shapeProto.message();
                    long value = -1;
                    while (dim.next()) {
                        if (dim.field() == 1) {
                            value = dim.int64();
                        } else {
                            dim.skip();
                        }
                    }
                    dim.count();
                    dims.add(value);
                }
                shape = dims.stream().mapToLong(Long::longValue).toArray();
            }
        }
        return shape;
    }

    private static Node parseNode(Protobuf p, int index) throws Protobuf.Malformed {
        Node n = new Node(index);
        while (p.next()) {
            switch (p.field()) {
                case 1:
                    p.count();
                    n.inputs.add(p.string());
                    break;
                case 2:
                    p.count();
                    n.outputs.add(p.string());
                    break;
                case 3:
                    n.name = p.string();
                    break;
                case 4:
                    n.op = p.string();
                    break;
                case 7:
                    n.domain = p.string();
                    break;
                case 5: {
                    Attribute a = parseAttribute(p.message());
                    p.count();
                    n.attributes.put(a.name, a);
                    break;
                }
                default:
                    p.skip();
            }
        }
        return n;
    }

    private static Attribute parseAttribute(Protobuf p) throws Protobuf.Malformed {
        String name = "";
        float f = 0;
        long i = 0;
        String s = null;
        TensorValue t = null;
        boolean hasF = false;
        boolean hasI = false;
        while (p.next()) {
            switch (p.field()) {
                case 1:
                    name = p.string();
                    break;
                case 2:
                    f = p.float32();
                    hasF = true;
                    break;
                case 3:
                    i = p.int64();
                    hasI = true;
                    break;
                case 4:
                    s = p.string();
                    break;
                case 5:
                    t = parseTensor(p.message());
                    break;
                default:
                    p.skip();
            }
        }
        return new Attribute(name, f, i, s, t, hasF, hasI);
    }

    private static TensorValue parseTensor(Protobuf p) throws Protobuf.Malformed {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        int[] raw = null;
        List<int[]> floatData = new ArrayList<>(); // packed payloads, or single fixed32 positions
        int floatCount = 0;
        List<Float> looseFloats = new ArrayList<>();
        List<int[]> doubleData = new ArrayList<>();
        List<Long> int32Data = new ArrayList<>();
        boolean external = false;
        while (p.next()) {
            switch (p.field()) {
                case 1:
                    if (p.wireType() == Protobuf.LENGTH_DELIMITED) {
                        Protobuf packed = p.message();
                        while (!packed.atEnd()) {
                            packed.count();
                            dims.add(packed.varint());
                            if (dims.size() > 64) {
                                throw new Protobuf.Malformed("tensor with more than 64 dimensions");
                            }
                        }
                    } else {
                        p.count();
                        dims.add(p.int64());
                        if (dims.size() > 64) {
                            throw new Protobuf.Malformed("tensor with more than 64 dimensions");
                        }
                    }
                    break;
                case 2:
                    dataType = (int) p.int64();
                    break;
                case 4:
                    if (p.wireType() == Protobuf.LENGTH_DELIMITED) {
                        int[] r = p.bytes();
                        if ((r[1] - r[0]) % 4 != 0) {
                            throw new Protobuf.Malformed("float_data of " + (r[1] - r[0]) + " bytes, not a multiple of 4");
                        }
                        floatData.add(r);
                        floatCount += (r[1] - r[0]) / 4;
                    } else {
                        p.count();
                        looseFloats.add(p.float32());
                    }
                    break;
                case 5:
                    if (p.wireType() == Protobuf.LENGTH_DELIMITED) {
                        Protobuf packed = p.message();
                        while (!packed.atEnd()) {
                            packed.count();
                            int32Data.add(packed.varint());
                        }
                    } else {
                        p.count();
                        int32Data.add(p.int64());
                    }
                    break;
                case 8:
                    name = p.string();
                    break;
                case 9:
                    raw = p.bytes();
                    break;
                case 10:
                    if (p.wireType() == Protobuf.LENGTH_DELIMITED) {
                        int[] r = p.bytes();
                        if ((r[1] - r[0]) % 8 != 0) {
                            throw new Protobuf.Malformed("double_data of " + (r[1] - r[0]) + " bytes, not a multiple of 8");
                        }
                        doubleData.add(r);
                    } else if (p.wireType() == Protobuf.FIXED64) {
                        int at = p.position();
                        p.fixed64();
                        doubleData.add(new int[] {at, at + 8});
                    } else {
                        throw new Protobuf.Malformed("double_data with wire type " + p.wireType());
                    }
                    break;
                case 13:
                    external = true;
                    p.skip();
                    break;
                case 14:
                    external |= p.int64() == 1;
                    break;
                default:
                    p.skip();
            }
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        if (external) {
            throw new Protobuf.Malformed("tensor '" + SafeTensors.abbreviate(name) + "' keeps its data in an external "
                    + "file, which this reader does not load (save the model with all tensors inside the .onnx file)");
        }
        if (dataType != FLOAT && dataType != DOUBLE && dataType != FLOAT16 && dataType != BFLOAT16) {
            return new TensorValue(name, d, dataType, null);
        }
        long count = 1;
        for (long x : d) {
            if (x < 0 || x > Integer.MAX_VALUE) {
                throw new Protobuf.Malformed("tensor '" + SafeTensors.abbreviate(name) + "': bad dimension " + x);
            }
            count = x == 0 ? 0 : count;
            if (count != 0 && (count *= x) > Integer.MAX_VALUE - 8) {
                throw new Protobuf.Malformed("tensor '" + SafeTensors.abbreviate(name) + "' has more elements than a "
                        + "Java array holds: " + Arrays.toString(d));
            }
        }
        int n = (int) count;
        byte[] b = p.buffer();
        float[] out;
        int width = dataType == FLOAT ? 4 : dataType == DOUBLE ? 8 : 2;
        if (raw != null) {
            long bytes = raw[1] - raw[0];
            if (bytes != (long) n * width) {
                throw new Protobuf.Malformed("tensor '" + SafeTensors.abbreviate(name) + "' of shape "
                        + Arrays.toString(d) + " needs " + (long) n * width + " bytes of raw_data, got " + bytes);
            }
            out = new float[n];
            for (int k = 0, at = raw[0]; k < n; k++, at += width) {
                out[k] = decode(b, at, dataType);
            }
        } else if (dataType == FLOAT) {
            if (floatCount + looseFloats.size() != n) {
                throw new Protobuf.Malformed("tensor '" + SafeTensors.abbreviate(name) + "' of shape "
                        + Arrays.toString(d) + " needs " + n + " float_data values, got " + (floatCount + looseFloats.size()));
            }
            out = new float[n];
            int k = 0;
            for (int[] r : floatData) {
                for (int at = r[0]; at < r[1]; at += 4) {
                    out[k++] = decode(b, at, FLOAT);
                }
            }
            for (float f : looseFloats) {
                out[k++] = f;
            }
        } else if (dataType == DOUBLE) {
            long have = 0;
            for (int[] r : doubleData) {
                have += (r[1] - r[0]) / 8;
            }
            if (have != n) {
                throw new Protobuf.Malformed("tensor '" + SafeTensors.abbreviate(name) + "' of shape "
                        + Arrays.toString(d) + " needs " + n + " double_data values, got " + have);
            }
            out = new float[n];
            int k = 0;
            for (int[] r : doubleData) {
                for (int at = r[0]; at < r[1]; at += 8) {
                    out[k++] = decode(b, at, DOUBLE);
                }
            }
        } else {
            if (int32Data.size() != n) {
                throw new Protobuf.Malformed("tensor '" + SafeTensors.abbreviate(name) + "' of shape "
                        + Arrays.toString(d) + " needs " + n + " int32_data values, got " + int32Data.size());
            }
            out = new float[n];
            for (int k = 0; k < n; k++) {
                int bits = (int) (long) int32Data.get(k);
                out[k] = dataType == FLOAT16 ? HalfFloats.f16ToFloat(bits) : HalfFloats.bf16ToFloat(bits);
            }
        }
        return new TensorValue(name, d, dataType, out);
    }

    private static float decode(byte[] b, int at, int dataType) {
        switch (dataType) {
            case FLOAT:
                return Float.intBitsToFloat(le32(b, at));
            case DOUBLE:
                return (float) Double.longBitsToDouble((le32(b, at) & 0xffffffffL) | (long) le32(b, at + 4) << 32);
            case FLOAT16:
                return HalfFloats.f16ToFloat((b[at] & 0xff) | (b[at + 1] & 0xff) << 8);
            default:
                return HalfFloats.bf16ToFloat((b[at] & 0xff) | (b[at + 1] & 0xff) << 8);
        }
    }

    private static int le32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    // ------------------------------------------------------------------------------------------------ import

    /** One dense layer being assembled: weights {@code [out][in]} row-major. */
    private static final class Layer {
        final int in;
        final int out;
        final float[] weights;
        final float[] bias;
        Activation activation = Activation.IDENTITY;
        boolean biasAdded;

        Layer(int in, int out, float[] weights, float[] bias, boolean biasAdded) {
            this.in = in;
            this.out = out;
            this.weights = weights;
            this.bias = bias;
            this.biasAdded = biasAdded;
        }
    }

    /** Walks the chain from the graph input to its output, turning nodes into dense layers. */
    private static final class Importer {
        final Path file;
        final Graph g;
        final Map<String, TensorValue> constants = new HashMap<>();
        final Map<String, List<Node>> consumers = new HashMap<>();
        final Set<Node> used = new HashSet<>();
        final List<Layer> layers = new ArrayList<>();
        float leakySlope = Float.NaN;

        Importer(Path file, Graph g) {
            this.file = file;
            this.g = g;
        }

        ModelFormatException fail(String message) {
            return new ModelFormatException(file + ": " + message);
        }

        ModelFormatException fail(Node n, String message) {
            return new ModelFormatException(file + ": " + n + ": " + message);
        }

        Network run() throws ModelFormatException {
            constants.putAll(g.initializers);
            for (Node n : g.nodes) {
                if (!n.domain.isEmpty() && !n.domain.equals("ai.onnx")) {
                    throw fail(n, "operator from domain '" + SafeTensors.abbreviate(n.domain)
                            + "' is not supported (only the default ONNX domain)");
                }
                if (n.op.equals("Constant")) {
                    Attribute v = n.attributes.get("value");
                    if (v == null || v.t == null || n.outputs.size() != 1) {
                        throw fail(n, "expected a Constant with a tensor 'value' and one output");
                    }
                    constants.put(n.outputs.get(0), v.t);
                    used.add(n);
                    continue;
                }
                for (String in : n.inputs) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                }
            }
            List<String> dataInputs = new ArrayList<>();
            for (String in : g.inputs) {
                if (!constants.containsKey(in)) {
                    dataInputs.add(in);
                }
            }
            if (dataInputs.size() != 1 || g.outputs.size() != 1) {
                throw fail("expected a graph with one input and one output (a feed-forward network), got inputs "
                        + dataInputs + " and outputs " + g.outputs);
            }
            String cur = dataInputs.get(0);
            String output = g.outputs.get(0);
            while (!cur.equals(output)) {
                List<Node> next = consumers.getOrDefault(cur, List.of());
                if (next.isEmpty()) {
                    throw fail("tensor '" + SafeTensors.abbreviate(cur) + "' is neither the graph output '"
                            + SafeTensors.abbreviate(output) + "' nor used by any node");
                }
                String gelu = next.size() == 2 ? geluPattern(cur, next) : null;
                if (gelu != null) {
                    cur = gelu;
                    continue;
                }
                if (next.size() != 1) {
                    for (Node n : next) {
                        if (!OPERATORS.contains(n.op)) {
                            throw fail(n, "unsupported operator '" + SafeTensors.abbreviate(n.op) + "'; supported: "
                                    + SUPPORTED);
                        }
                    }
                    throw fail("tensor '" + SafeTensors.abbreviate(cur) + "' feeds " + next.size() + " nodes " + next
                            + ": only a chain of layers is supported");
                }
                cur = step(next.get(0), cur);
            }
            if (consumers.containsKey(output)) {
                throw fail("the graph output '" + SafeTensors.abbreviate(output) + "' also feeds "
                        + consumers.get(output) + ": only a chain of layers is supported");
            }
            for (Node n : g.nodes) {
                if (!used.contains(n)) {
                    throw fail(n, "is not on the chain from the input to the output; supported: " + SUPPORTED);
                }
            }
            return build(dataInputs.get(0));
        }

        /** Applies one node to the chain value {@code cur}; returns the node's output. */
        String step(Node n, String cur) throws ModelFormatException {
            if (!used.add(n)) {
                throw fail(n, "is reached twice: the graph has a cycle");
            }
            switch (n.op) {
                case "Gemm":
                    gemm(n, cur);
                    break;
                case "MatMul": {
                    expectInputs(n, 2, 2);
                    if (!n.inputs.get(0).equals(cur)) {
                        throw fail(n, "expected the data as the first input (x @ W), got it second");
                    }
                    TensorValue w = matrix(n, n.inputs.get(1), "B");
                    int in = (int) w.dims[0];
                    int out = (int) w.dims[1];
                    addLayer(n, in, out, transpose(w.data, in, out), new float[out], false);
                    break;
                }
                case "Add": {
                    expectInputs(n, 2, 2);
                    String other = n.inputs.get(0).equals(cur) ? n.inputs.get(1) : n.inputs.get(0);
                    Layer last = layers.isEmpty() ? null : layers.get(layers.size() - 1);
                    if (last == null || last.activation != Activation.IDENTITY || !constants.containsKey(other)) {
                        throw fail(n, "only a constant bias added right after MatMul or Gemm is supported");
                    }
                    float[] c = bias(n, other, last.out);
                    for (int j = 0; j < last.out; j++) {
                        last.bias[j] += c[j];
                    }
                    last.biasAdded = true;
                    break;
                }
                case "Relu":
                    activate(n, Activation.RELU);
                    break;
                case "Sigmoid":
                    activate(n, Activation.SIGMOID);
                    break;
                case "Tanh":
                    activate(n, Activation.TANH);
                    break;
                case "LeakyRelu": {
                    Attribute a = n.attributes.get("alpha");
                    float alpha = a != null && a.hasF ? a.f : 0.01f;
                    if (!Float.isNaN(leakySlope) && leakySlope != alpha) {
                        throw fail(n, "LeakyRelu alpha " + alpha + " differs from an earlier layer's " + leakySlope
                                + " (mlp4j uses one slope per network)");
                    }
                    if (!Float.isFinite(alpha) || alpha < 0) {
                        throw fail(n, "expected LeakyRelu alpha to be finite and >= 0, got " + alpha);
                    }
                    leakySlope = alpha;
                    activate(n, Activation.LEAKY_RELU);
                    break;
                }
                case "Softmax": {
                    Attribute a = n.attributes.get("axis");
                    long axis = a != null && a.hasI ? a.i : -1;
                    if (axis != -1 && axis != 1) {
                        throw fail(n, "expected Softmax over the features (axis 1 or -1), got axis " + axis);
                    }
                    activate(n, Activation.SOFTMAX);
                    break;
                }
                case "Gelu": {
                    Attribute a = n.attributes.get("approximate");
                    String mode = a == null || a.s == null ? "none" : a.s;
                    if (!mode.equals("none") && !mode.equals("tanh")) {
                        throw fail(n, "expected Gelu approximate 'none' or 'tanh', got '" + SafeTensors.abbreviate(mode)
                                + "'");
                    }
                    activate(n, mode.equals("none") ? Activation.GELU : Activation.GELU_TANH);
                    break;
                }
                case "Identity":
                    expectInputs(n, 1, 1);
                    break;
                case "Dropout":
                    if (n.outputs.size() > 1 && !n.outputs.get(1).isEmpty() && consumers.containsKey(n.outputs.get(1))) {
                        throw fail(n, "the Dropout mask output is used; only inference Dropout (identity) is supported");
                    }
                    break;
                case "Flatten": {
                    Attribute a = n.attributes.get("axis");
                    long axis = a != null && a.hasI ? a.i : 1;
                    if (axis != 1 || !layers.isEmpty()) {
                        throw fail(n, "only Flatten with axis 1 before the first layer is supported, got axis " + axis
                                + (layers.isEmpty() ? "" : " after a layer"));
                    }
                    break;
                }
                default:
                    throw fail(n, "unsupported operator '" + SafeTensors.abbreviate(n.op) + "'; supported: " + SUPPORTED);
            }
            if (n.outputs.isEmpty() || n.outputs.get(0).isEmpty()) {
                throw fail(n, "expected an output");
            }
            return n.outputs.get(0);
        }

        void gemm(Node n, String cur) throws ModelFormatException {
            expectInputs(n, 2, 3);
            if (!n.inputs.get(0).equals(cur)) {
                throw fail(n, "expected the data as input A, got it as " + (n.inputs.get(1).equals(cur) ? "B" : "C"));
            }
            if (intAttr(n, "transA", 0) != 0) {
                throw fail(n, "transA = 1 is not supported (the data must be rows of samples)");
            }
            long transB = intAttr(n, "transB", 0);
            float alpha = floatAttr(n, "alpha", 1f);
            float beta = floatAttr(n, "beta", 1f);
            TensorValue w = matrix(n, n.inputs.get(1), "B");
            int in;
            int out;
            float[] weights;
            if (transB != 0) {
                out = (int) w.dims[0];
                in = (int) w.dims[1];
                weights = w.data.clone();
            } else {
                in = (int) w.dims[0];
                out = (int) w.dims[1];
                weights = transpose(w.data, in, out);
            }
            if (alpha != 1f) {
                for (int k = 0; k < weights.length; k++) {
                    weights[k] *= alpha;
                }
            }
            float[] b = new float[out];
            boolean hasBias = n.inputs.size() == 3 && !n.inputs.get(2).isEmpty();
            if (hasBias) {
                float[] c = bias(n, n.inputs.get(2), out);
                for (int j = 0; j < out; j++) {
                    b[j] = beta * c[j];
                }
            }
            addLayer(n, in, out, weights, b, hasBias);
        }

        void addLayer(Node n, int in, int out, float[] w, float[] b, boolean biasAdded) throws ModelFormatException {
            if (!layers.isEmpty()) {
                Layer last = layers.get(layers.size() - 1);
                if (last.out != in) {
                    throw fail(n, "weights of shape expecting " + in + " inputs follow a layer with " + last.out
                            + " outputs");
                }
                if (last.activation == Activation.SOFTMAX) {
                    throw fail(n, "a layer after Softmax is not supported (softmax is allowed on the output only)");
                }
            }
            if (in < 1 || out < 1) {
                throw fail(n, "expected weights with at least one input and one output, got " + in + " x " + out);
            }
            layers.add(new Layer(in, out, w, b, biasAdded));
        }

        void activate(Node n, Activation a) throws ModelFormatException {
            expectInputs(n, 1, 1);
            setActivation(n, a);
        }

        void setActivation(Node n, Activation a) throws ModelFormatException {
            Layer last = layers.isEmpty() ? null : layers.get(layers.size() - 1);
            if (last == null) {
                throw fail(n, "an activation before the first MatMul/Gemm layer is not supported");
            }
            if (last.activation != Activation.IDENTITY) {
                throw fail(n, "a second activation on one layer (already " + last.activation.id() + ") is not supported");
            }
            last.activation = a;
        }

        /**
         * Matches the exact GELU as opsets below 20 export it: {@code y = (x * (erf(x / sqrt 2) + 1)) * 0.5}
         * ({@code Div, Erf, Add, Mul, Mul}, either operand order). Returns y's name, or null if it is not that.
         */
        String geluPattern(String x, List<Node> two) throws ModelFormatException {
            Node div = two.get(0).op.equals("Div") ? two.get(0) : two.get(1);
            Node mul = div == two.get(0) ? two.get(1) : two.get(0);
            if (!div.op.equals("Div") || !mul.op.equals("Mul") || div.inputs.size() != 2
                    || !div.inputs.get(0).equals(x) || !isScalar(div.inputs.get(1), (float) Math.sqrt(2), 1e-6f)) {
                return null;
            }
            Node erf = only(div, "Erf");
            Node add = erf == null ? null : only(erf, "Add");
            if (add == null || add.inputs.size() != 2 || !isScalar(other(add, erf.outputs.get(0)), 1f, 0f)) {
                return null;
            }
            Node mul1 = only(add, "Mul");
            if (mul1 != mul || !other(mul, add.outputs.get(0)).equals(x)) {
                return null;
            }
            Node mul2 = only(mul, "Mul");
            if (mul2 == null || mul2.inputs.size() != 2 || !isScalar(other(mul2, mul.outputs.get(0)), 0.5f, 0f)) {
                return null;
            }
            for (Node n : List.of(div, erf, add, mul, mul2)) {
                if (!used.add(n)) {
                    throw fail(n, "is reached twice: the graph has a cycle");
                }
            }
            setActivation(div, Activation.GELU);
            return mul2.outputs.get(0);
        }

        /** The single consumer of {@code n}'s single output if it has operator {@code op}, else null. */
        Node only(Node n, String op) {
            if (n.outputs.size() != 1) {
                return null;
            }
            List<Node> c = consumers.getOrDefault(n.outputs.get(0), List.of());
            return c.size() == 1 && c.get(0).op.equals(op) ? c.get(0) : null;
        }

        static String other(Node n, String known) {
            if (n.inputs.size() != 2) {
                return "";
            }
            return n.inputs.get(0).equals(known) ? n.inputs.get(1) : n.inputs.get(0);
        }

        boolean isScalar(String name, float value, float tolerance) {
            TensorValue t = constants.get(name);
            return t != null && t.data != null && t.data.length == 1 && Math.abs(t.data[0] - value) <= tolerance;
        }

        TensorValue matrix(Node n, String name, String role) throws ModelFormatException {
            TensorValue t = constants.get(name);
            if (t == null) {
                throw fail(n, "expected input " + role + " ('" + SafeTensors.abbreviate(name) + "') to be a constant "
                        + "weight matrix (an initializer), it is computed by the graph");
            }
            if (t.data == null) {
                throw fail(n, "weight '" + SafeTensors.abbreviate(name) + "' has data type " + t.dataType
                        + "; expected FLOAT, DOUBLE, FLOAT16 or BFLOAT16");
            }
            if (t.dims.length != 2) {
                throw fail(n, "expected weight '" + SafeTensors.abbreviate(name) + "' to be a matrix, got shape "
                        + Arrays.toString(t.dims));
            }
            return t;
        }

        float[] bias(Node n, String name, int out) throws ModelFormatException {
            TensorValue t = constants.get(name);
            if (t == null || t.data == null) {
                throw fail(n, "expected bias '" + SafeTensors.abbreviate(name) + "' to be a constant float tensor");
            }
            long[] d = t.dims;
            boolean ok = t.data.length == out && (d.length == 1 || (d.length == 2 && d[0] == 1));
            boolean scalar = t.data.length == 1 && d.length <= 2;
            if (!ok && !scalar) {
                throw fail(n, "expected bias '" + SafeTensors.abbreviate(name) + "' of shape [" + out + "] or [1, "
                        + out + "], got " + Arrays.toString(d));
            }
            if (ok) {
                return t.data;
            }
            float[] b = new float[out];
            Arrays.fill(b, t.data[0]);
            return b;
        }

        void expectInputs(Node n, int min, int max) throws ModelFormatException {
            if (n.inputs.size() < min || n.inputs.size() > max) {
                throw fail(n, "expected " + (min == max ? "" + min : min + " to " + max) + " inputs, got "
                        + n.inputs.size());
            }
        }

        long intAttr(Node n, String name, long dflt) {
            Attribute a = n.attributes.get(name);
            return a != null && a.hasI ? a.i : dflt;
        }

        float floatAttr(Node n, String name, float dflt) throws ModelFormatException {
            Attribute a = n.attributes.get(name);
            float v = a != null && a.hasF ? a.f : dflt;
            if (!Float.isFinite(v)) {
                throw fail(n, "expected a finite " + name + ", got " + v);
            }
            return v;
        }

        Network build(String input) throws ModelFormatException {
            if (layers.isEmpty()) {
                throw fail("the graph holds no dense layer (MatMul or Gemm)");
            }
            int inputs = layers.get(0).in;
            long[] shape = g.inputShapes.get(input);
            if (shape != null && shape.length >= 2) {
                long features = 1;
                boolean known = true;
                for (int k = 1; k < shape.length; k++) {
                    known &= shape[k] > 0;
                    features = known ? Math.min(features * Math.max(shape[k], 1), Long.MAX_VALUE / 2) : features;
                }
                if (known && features != inputs) {
                    throw fail("graph input '" + SafeTensors.abbreviate(input) + "' of shape " + Arrays.toString(shape)
                            + " has " + features + " features, but the first layer takes " + inputs);
                }
            }
            Activation outAct = layers.get(layers.size() - 1).activation;
            Loss loss = outAct == Activation.SOFTMAX ? Loss.CROSS_ENTROPY
                    : outAct == Activation.SIGMOID ? Loss.BCE : Loss.MSE;
            try {
                Network.Builder b = Network.builder(inputs).loss(loss)
                        .leakyReluSlope(Float.isNaN(leakySlope) ? 0.01f : leakySlope);
                for (Layer l : layers) {
                    if (l.out > ModelFiles.MAX_WIDTH) {
                        throw fail("a layer of " + l.out + " outputs exceeds the largest width " + ModelFiles.MAX_WIDTH);
                    }
                    b.dense(l.out, l.activation);
                }
                Network net = b.build();
                for (int k = 0; k < layers.size(); k++) {
                    net.setWeights(k, layers.get(k).weights);
                    net.setBias(k, layers.get(k).bias);
                }
                return net;
            } catch (IllegalArgumentException e) {
                throw fail("cannot build the network: " + e.getMessage());
            }
        }

        static float[] transpose(float[] m, int rows, int cols) {
            float[] t = new float[m.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[c * rows + r] = m[r * cols + c];
                }
            }
            return t;
        }
    }
}
