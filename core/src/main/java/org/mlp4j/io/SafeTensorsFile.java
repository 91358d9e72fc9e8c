package org.mlp4j.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * The validated content of a safetensors file, fully loaded in memory and immutable: accessors return copies.
 * Obtained from {@link SafeTensors#read(java.nio.file.Path)}.
 */
public final class SafeTensorsFile {
    private final Path source;
    private final Map<String, String> metadata;
    private final Map<String, Tensor> tensors;
    private final List<String> names;
    private final Map<String, SafeTensors.Dtype> dtypes;

    SafeTensorsFile(Path source, Map<String, String> metadata, Map<String, Tensor> tensors,
            Map<String, SafeTensors.Dtype> dtypes) {
        this.source = source;
        this.dtypes = new LinkedHashMap<>(dtypes);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.tensors = new LinkedHashMap<>(tensors);
        this.names = List.copyOf(tensors.keySet());
    }

    /**
     * The file this was read from.
     *
     * @return the path given to {@link SafeTensors#read}
     */
    public Path source() {
        return source;
    }

    /**
     * The {@code __metadata__} entries in file order (empty if the file has none).
     *
     * @return an unmodifiable map
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Tensor names in header order.
     *
     * @return an unmodifiable list
     */
    public List<String> names() {
        return names;
    }

    /**
     * Whether a tensor with this name exists.
     *
     * @param name a tensor name
     * @return true if the file holds it
     */
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The element type the tensor was stored as (its values are floats in memory either way).
     *
     * @param name a tensor name
     * @return F32, F16 or BF16
     * @throws NoSuchElementException if there is no such tensor
     */
    public SafeTensors.Dtype dtype(String name) {
        get(name);
        return dtypes.get(name);
    }

    /**
     * A copy of the tensor's shape.
     *
     * @param name a tensor name
     * @return its dimensions
     * @throws NoSuchElementException if there is no such tensor
     */
    public int[] shape(String name) {
        return get(name).shape();
    }

    /**
     * A copy of the tensor's values, row-major.
     *
     * @param name a tensor name
     * @return its values (widened to float)
     * @throws NoSuchElementException if there is no such tensor
     */
    public float[] floats(String name) {
        return get(name).data().clone();
    }

    /**
     * A copy of the tensor (its own data array).
     *
     * @param name a tensor name
     * @return the tensor
     * @throws NoSuchElementException if there is no such tensor
     */
    public Tensor tensor(String name) {
        Tensor t = get(name);
        return new Tensor(t.shape(), t.data().clone());
    }

    /**
     * Copies of all tensors in header order, ready to pass to {@link SafeTensors#write}.
     *
     * @return a new map of new tensors
     */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        for (String name : names) {
            copy.put(name, tensor(name));
        }
        return copy;
    }

    private Tensor get(String name) {
        Objects.requireNonNull(name, "name");
        Tensor t = tensors.get(name);
        if (t == null) {
            List<String> shown = names.size() <= 20 ? names : new ArrayList<>(names.subList(0, 20));
            throw new NoSuchElementException(source + ": no tensor named \"" + name + "\"; the file has "
                    + names.size() + " tensors: " + shown + (names.size() > 20 ? " ..." : ""));
        }
        return t;
    }

    @Override
    public String toString() {
        return "SafeTensorsFile[" + source + ", " + names.size() + " tensors]";
    }
}
