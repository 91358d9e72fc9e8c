package org.mlp4j.io;

import java.io.IOException;

/**
 * A CSV file does not hold what was asked for. The message names the file, line and column (both 1-based),
 * what was expected and what was found; {@link #line()} and {@link #column()} give the position.
 */
public class CsvFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /** 1-based line number, or 0 if the problem concerns the whole file. */
    private final long line;
    /** 1-based column number, or 0 if the problem concerns a whole line. */
    private final int column;

    /**
     * Creates the exception for a problem at a position.
     *
     * @param message the detail message, naming the file, position, expectation and what was found
     * @param line    1-based line number, or 0 if the problem concerns the whole file
     * @param column  1-based column number, or 0 if the problem concerns a whole line
     */
    public CsvFormatException(String message, long line, int column) {
        super(message);
        this.line = line;
        this.column = column;
    }

    /**
     * 1-based line number, 0 if not tied to a line.
     *
     * @return the line number, or 0
     */
    public long line() {
        return line;
    }

    /**
     * 1-based column number, 0 if not tied to a column.
     *
     * @return the column number, or 0
     */
    public int column() {
        return column;
    }
}
