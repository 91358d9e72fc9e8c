package org.mlp4j.internal.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The bottom of the vector package: the species every kernel uses and its lane count. The preferred species
 * is the CPU's widest (512 bits on AVX-512, 256 on AVX2); {@code -XX:MaxVectorSize=32} or {@code =16} selects
 * the narrower shapes on any machine, which is how the tests exercise every tile shape.
 */
final class VectorShape {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();

    private VectorShape() {
    }
}
