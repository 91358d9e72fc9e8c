package org.mlp4j.io;

import java.io.IOException;

/**
 * A file is not a valid safetensors file (or uses a feature this reader does not support). The message names
 * the file, the tensor or header field concerned, what was expected and what was found.
 */
public class SafeTensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An error with its message.
     *
     * @param message what is wrong, naming the file
     */
    public SafeTensorsFormatException(String message) {
        super(message);
    }

    /**
     * An error with its message and the failure that revealed it.
     *
     * @param message what is wrong, naming the file
     * @param cause   the underlying failure
     */
    public SafeTensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
