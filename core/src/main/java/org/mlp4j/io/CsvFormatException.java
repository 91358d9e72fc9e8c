package org.mlp4j.io;

import java.io.IOException;

/**
 * A CSV file does not hold what was asked for. The message names the file, line and column (both 1-based),
 * what was expected and what was found; {@link #line()} and {@link #column()} give the position.
 */
public class CsvFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long line;
    private final int column;

    /**
     * @param line   1-based line number, or 0 if the problem concerns the whole file
     * @param column 1-based column number, or 0 if the problem concerns a whole line
     */
    public CsvFormatException(String message, long line, int column) {
        super(message);
        this.line = line;
        this.column = column;
    }

    /** 1-based line number, 0 if not tied to a line. */
    public long line() {
        return line;
    }

    /** 1-based column number, 0 if not tied to a column. */
    public int column() {
        return column;
    }
}
