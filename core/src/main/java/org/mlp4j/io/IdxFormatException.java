package org.mlp4j.io;

import java.io.IOException;

/**
 * A file is not a valid IDX file (the MNIST format), or its content does not fit what was asked for. The message
 * names the file, what was expected and what was found.
 */
public class IdxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the detail message, naming the file, what was expected and what was found
     */
    public IdxFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception for a low-level failure, e.g. corrupt gzip data.
     *
     * @param message the detail message, naming the file, what was expected and what was found
     * @param cause   the exception that revealed the problem
     */
    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
