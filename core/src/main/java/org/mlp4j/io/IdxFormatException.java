package org.mlp4j.io;

import java.io.IOException;

/**
 * A file is not a valid IDX file (the MNIST format), or its content does not fit what was asked for. The message
 * names the file, what was expected and what was found.
 */
public class IdxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public IdxFormatException(String message) {
        super(message);
    }

    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
