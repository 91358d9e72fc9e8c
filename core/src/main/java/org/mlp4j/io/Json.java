package org.mlp4j.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) parser for headers of untrusted files.
 *
 * <p>Values map to: object → unmodifiable {@code Map<String, Object>} in document order, array →
 * unmodifiable {@code List<Object>}, string → {@code String}, number → {@link Num} (the literal text, so
 * callers decide how to convert without silent rounding), {@code true}/{@code false} → {@code Boolean},
 * {@code null} → {@link #NULL}.
 *
 * <p>Strict means: no trailing garbage (only whitespace may follow the value), no duplicate object keys, no
 * comments, no trailing commas, no unescaped control characters in strings. Nesting depth and the total number
 * of values are bounded so that a hostile document cannot exhaust the stack or the heap.
 */
final class Json {
    /** Deepest nesting of arrays/objects accepted; real headers use 3. */
    static final int MAX_DEPTH = 64;
    /** Most values in one document; far beyond any real header, small enough to bound memory. */
    static final int MAX_VALUES = 1_000_000;

    /** The JSON {@code null} literal (a sentinel, because collections here never hold Java null). */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** A JSON number, kept as its (grammar-checked) literal text. */
    record Num(String text) {
        /** True when the literal is an integer without fraction or exponent. */
        boolean isPlainInteger() {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '.' || c == 'e' || c == 'E') {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** Malformed JSON; the message gives the character position and what was expected and found. */
    static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message) {
            super(message);
        }
    }

    /** Views a parsed object value with its real type; callers check {@code instanceof Map} first. */
    @SuppressWarnings("unchecked") // every Map this parser builds is a Map<String, Object>
    static Map<String, Object> asObject(Object value) {
        return (Map<String, Object>) value;
    }

    private final String s;
    private int pos;
    private int values;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one complete JSON document. */
    static Object parse(String text) throws SyntaxException {
        Json p = new Json(text);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos < p.s.length()) {
            throw p.error("expected end of input after the top-level value", p.describeHere());
        }
        return v;
    }

    private Object value(int depth) throws SyntaxException {
        if (++values > MAX_VALUES) {
            throw error("expected at most " + MAX_VALUES + " values in the document", "more");
        }
        if (pos >= s.length()) {
            throw error("expected a value", "end of input");
        }
        char c = s.charAt(pos);
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("expected a value", describeHere());
        }
    }

    private Map<String, Object> object(int depth) throws SyntaxException {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key", describeHere());
            }
            int keyPos = pos;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth);
            if (map.putIfAbsent(key, v) != null) {
                throw new SyntaxException("duplicate key \"" + key + "\" at character " + keyPos);
            }
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return Collections.unmodifiableMap(map);
            } else {
                throw error("expected ',' or '}' in object", describeHere());
            }
        }
    }

    private List<Object> array(int depth) throws SyntaxException {
        checkDepth(depth);
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth));
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return Collections.unmodifiableList(list);
            } else {
                throw error("expected ',' or ']' in array", describeHere());
            }
        }
    }

    private String string() throws SyntaxException {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = null; // only allocated when the string has escapes
        int runStart = pos;
        while (true) {
            if (pos >= s.length()) {
                throw new SyntaxException("unterminated string starting at character " + start);
            }
            char c = s.charAt(pos);
            if (c == '"') {
                String result = sb == null ? s.substring(runStart, pos) : sb.append(s, runStart, pos).toString();
                pos++;
                return result;
            }
            if (c < 0x20) {
                throw error("expected no unescaped control characters in a string",
                        String.format("U+%04X", (int) c));
            }
            if (c != '\\') {
                pos++;
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder();
            }
            sb.append(s, runStart, pos);
            pos++; // backslash
            if (pos >= s.length()) {
                throw new SyntaxException("unterminated string starting at character " + start);
            }
            char e = s.charAt(pos++);
            switch (e) {
                case '"': sb.append('"'); break;
                case '\\': sb.append('\\'); break;
                case '/': sb.append('/'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u':
                    sb.append((char) hex4());
                    break;
                default:
                    pos--;
                    throw error("expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX after a backslash",
                            describeHere());
            }
            runStart = pos;
        }
    }

    private int hex4() throws SyntaxException {
        if (pos + 4 > s.length()) {
            throw error("expected 4 hex digits after \\u", "end of input");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos), 16);
            // Character.digit also accepts non-ASCII digits; JSON allows only [0-9a-fA-F].
            if (d < 0 || s.charAt(pos) > 'f') {
                throw error("expected a hex digit in \\uXXXX", describeHere());
            }
            v = v * 16 + d;
            pos++;
        }
        return v;
    }

    private Num number() throws SyntaxException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("expected a digit in number", describeHere());
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after the decimal point", describeHere());
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent", describeHere());
            }
            digits();
        }
        return new Num(s.substring(start, pos));
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void literal(String word) throws SyntaxException {
        if (!s.startsWith(word, pos)) {
            throw error("expected a value", describeHere());
        }
        pos += word.length();
    }

    private void expect(char c) throws SyntaxException {
        if (peek() != c) {
            throw error("expected '" + c + "'", describeHere());
        }
        pos++;
    }

    private void checkDepth(int depth) throws SyntaxException {
        if (depth > MAX_DEPTH) {
            throw error("expected nesting depth at most " + MAX_DEPTH, "deeper nesting");
        }
    }

    /** The current char, or U+0000 at end of input (never valid where a specific char is expected). */
    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describeHere() {
        if (pos >= s.length()) {
            return "end of input";
        }
        char c = s.charAt(pos);
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private SyntaxException error(String expected, String found) {
        return new SyntaxException(expected + " at character " + pos + ", found " + found);
    }
}
