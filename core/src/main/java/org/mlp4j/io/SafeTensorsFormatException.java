package org.mlp4j.io;

import java.io.IOException;

/**
 * A file is not a valid safetensors file (or uses a feature this reader does not support). The message names
 * the file, the tensor or header field concerned, what was expected and what was found.
 */
public class SafeTensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafeTensorsFormatException(String message) {
        super(message);
    }

    public SafeTensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
