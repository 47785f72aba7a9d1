package dev.quokka.tokenizer;

/** A reusable UTF-8 encoder that turns lone surrogates into U+FFFD and says how many it replaced. */
final class Utf8Buffer {
    byte[] bytes = new byte[256];
    /** Lone surrogates replaced by the last {@link #encode}. */
    int replaced;

    /** Encodes {@code s[start, end)} into {@link #bytes}; returns the length. */
    int encode(String s, int start, int end) {
        if (bytes.length < (end - start) * 3) bytes = new byte[(end - start) * 3];
        byte[] b = bytes;
        int n = 0;
        replaced = 0;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                b[n++] = (byte) c;
            } else if (c < 0x800) {
                b[n++] = (byte) (0xC0 | (c >> 6));
                b[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    b[n++] = (byte) (0xF0 | (cp >> 18));
                    b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[n++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    replaced++;
                    b[n++] = (byte) 0xEF;
                    b[n++] = (byte) 0xBF;
                    b[n++] = (byte) 0xBD;
                }
            } else {
                b[n++] = (byte) (0xE0 | (c >> 12));
                b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return n;
    }
}
