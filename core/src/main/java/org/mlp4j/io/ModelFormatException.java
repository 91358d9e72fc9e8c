package org.mlp4j.io;

import java.io.IOException;

/**
 * A safetensors file is well-formed but does not describe a valid mlp4j model or checkpoint: missing or
 * unknown architecture metadata, tensor shapes that disagree with the architecture, non-finite weights,
 * bad optimizer state. The message names the file, the key or tensor, what was expected and what was found.
 */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An error with its message.
     *
     * @param message what is wrong, naming the file
     */
    public ModelFormatException(String message) {
        super(message);
    }

    /**
     * An error with its message and the failure that revealed it.
     *
     * @param message what is wrong, naming the file
     * @param cause   the underlying failure
     */
    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
