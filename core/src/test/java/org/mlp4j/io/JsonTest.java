package org.mlp4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesAllValueKinds() throws Exception {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, 0, true, false, null], \"b\": {}, \"c\": [], \"d\": \"x\"} \n");
        Map<String, Object> m = Json.asObject(v);
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(m.keySet()));
        List<?> a = (List<?>) m.get("a");
        assertEquals(new Json.Num("1"), a.get(0));
        assertEquals(new Json.Num("-2.5e3"), a.get(1));
        assertFalse(((Json.Num) a.get(1)).isPlainInteger());
        assertTrue(((Json.Num) a.get(0)).isPlainInteger());
        assertEquals(Boolean.TRUE, a.get(3));
        assertEquals(Boolean.FALSE, a.get(4));
        assertSame(Json.NULL, a.get(5));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
        assertEquals("x", m.get("d"));
    }

    @Test
    void decodesEscapes() throws Exception {
        assertEquals("\" \\ / \b \f \n \r \t \u00e9 \ud83d\ude00 A",
                Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00E9 \\ud83d\\ude00 \\u0041\""));
        assertEquals("plain", Json.parse("\"plain\""));
    }

    @Test
    void rejectsMalformedDocuments() {
        String[] bad = {"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "[1 2]", "01", "1.", ".5",
                "+1", "-", "1e", "1e+", "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
                "\"tab\tinside\"", "[1] [2]", "{} x", "// c\n{}", "{\"a\" 1}", "\"\\u\uff11234\"", "NaN",
                "Infinity", "[1,,2]"};
        for (String s : bad) {
            assertThrows(Json.SyntaxException.class, () -> Json.parse(s), () -> "accepted: " + s);
        }
    }

    @Test
    void errorMessagesSayWhereAndWhat() {
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse("{\"a\":1 x}"));
        assertEquals("expected ',' or '}' in object at character 7, found 'x'", e.getMessage());
        e = assertThrows(Json.SyntaxException.class, () -> Json.parse("{\"k\":1,\"k\":2}"));
        assertEquals("duplicate key \"k\" at character 7", e.getMessage());
    }

    @Test
    void boundsNestingDepth() throws Exception {
        Json.parse("[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH));
        String tooDeep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(tooDeep));
        assertTrue(e.getMessage().contains("nesting depth"), e.getMessage());
    }

    @Test
    void boundsValueCount() {
        String many = "[" + "0,".repeat(Json.MAX_VALUES) + "0]";
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(many));
        assertTrue(e.getMessage().contains("at most " + Json.MAX_VALUES), e.getMessage());
    }
}
