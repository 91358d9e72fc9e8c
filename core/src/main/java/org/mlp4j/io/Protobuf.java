package org.mlp4j.io;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;

/**
 * A bounded reader of the protocol-buffers wire format over one in-memory message: just enough to walk the
 * messages of an ONNX file field by field. Every length is checked against the bytes that remain, varints are
 * at most 10 bytes, and group wire types (deprecated, never used by ONNX) are rejected, so damaged input ends in
 * a {@link Malformed} exception rather than a huge allocation or a wrong read.
 */
final class Protobuf {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    /** Damaged wire data; the message says where and what. */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    /**
     * Most repeated items (nodes, names, attributes, dimensions, loose values) one file may make the caller hold:
     * real dense networks need a few hundred; this bounds the objects a hostile file can make us allocate
     * (each item costs a few file bytes but tens of heap bytes).
     */
    static final long MAX_ITEMS = 1_000_000;

    private final byte[] buf;
    private final int end;
    private final long[] items; // shared by a message and its sub-messages
    private int pos;
    private int tag;

    /** Reads {@code buf[from, to)}. */
    Protobuf(byte[] buf, int from, int to) {
        this(buf, from, to, new long[] {MAX_ITEMS});
    }

    private Protobuf(byte[] buf, int from, int to, long[] items) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
        this.items = items;
    }

    /** Counts one more item held by the caller; fails beyond {@link #MAX_ITEMS} for the whole file. */
    void count() throws Malformed {
        if (--items[0] < 0) {
            throw new Malformed("more than " + MAX_ITEMS + " nodes, names, attributes and values: not a dense "
                    + "network this reader accepts");
        }
    }

    /** Moves to the next field; false at the end of the message. */
    boolean next() throws Malformed {
        if (pos >= end) {
            return false;
        }
        long t = varint();
        int wire = (int) (t & 7);
        long field = t >>> 3;
        if (field < 1 || field > 536_870_911 || (wire != VARINT && wire != FIXED64 && wire != LENGTH_DELIMITED
                && wire != FIXED32)) {
            throw new Malformed("bad field tag " + t + " at byte " + pos);
        }
        tag = (int) t;
        return true;
    }

    /** The current field's number. */
    int field() {
        return tag >>> 3;
    }

    /** The current field's wire type. */
    int wireType() {
        return tag & 7;
    }

    /** True when every byte of this message has been read. */
    boolean atEnd() {
        return pos >= end;
    }

    /** Current position (for error messages). */
    int position() {
        return pos;
    }

    long varint() throws Malformed {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) {
                throw new Malformed("truncated varint at byte " + pos);
            }
            byte b = buf[pos++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw new Malformed("varint longer than 10 bytes at byte " + pos);
    }

    /** A varint field's value, checked to be of that wire type. */
    long int64() throws Malformed {
        expect(VARINT);
        return varint();
    }

    int fixed32() throws Malformed {
        need(4);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    long fixed64() throws Malformed {
        long lo = fixed32() & 0xffffffffL;
        long hi = fixed32() & 0xffffffffL;
        return lo | hi << 32;
    }

    /** A {@code float} field (wire type fixed32). */
    float float32() throws Malformed {
        expect(FIXED32);
        return Float.intBitsToFloat(fixed32());
    }

    /** The bounds {@code [from, to)} of a length-delimited field's payload, and skips past it. */
    int[] bytes() throws Malformed {
        expect(LENGTH_DELIMITED);
        long n = varint();
        if (n < 0 || n > end - pos) {
            throw new Malformed("field " + field() + " at byte " + pos + " declares " + Long.toUnsignedString(n)
                    + " bytes, only " + (end - pos) + " remain");
        }
        int from = pos;
        pos += (int) n;
        return new int[] {from, pos};
    }

    /** A reader over a nested message field. */
    Protobuf message() throws Malformed {
        int[] r = bytes();
        return new Protobuf(buf, r[0], r[1], items);
    }

    /** A string field (strict UTF-8). */
    String string() throws Malformed {
        int[] r = bytes();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, r[0], r[1] - r[0])).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("field " + field() + " at byte " + r[0] + " is not valid UTF-8");
        }
    }

    /** The underlying array (payloads from {@link #bytes()} index into it). */
    byte[] buffer() {
        return buf;
    }

    /** Skips the current field's value. */
    void skip() throws Malformed {
        switch (wireType()) {
            case VARINT:
                varint();
                break;
            case FIXED64:
                need(8);
                pos += 8;
                break;
            case FIXED32:
                need(4);
                pos += 4;
                break;
            default:
                bytes();
        }
    }

    private void need(int n) throws Malformed {
        if (end - pos < n) {
            throw new Malformed("truncated field " + field() + " at byte " + pos);
        }
    }

    private void expect(int wire) throws Malformed {
        if (wireType() != wire) {
            throw new Malformed("field " + field() + " at byte " + pos + ": expected wire type " + wire + ", got "
                    + wireType());
        }
    }
}
