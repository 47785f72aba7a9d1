package dev.quokka.dataprep.tokenize;

import java.util.ArrayList;
import java.util.List;

/** Splits text into blank-line separated blocks; lines keep their newlines inside a block. */
public final class Paragraphs {
    private Paragraphs() {}

    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : text.split("\r?\n", -1)) {
            if (line.isBlank()) {
                if (cur.length() > 0) out.add(cur.toString());
                cur.setLength(0);
            } else {
                if (cur.length() > 0) cur.append('\n');
                cur.append(line);
            }
        }
        if (cur.length() > 0) out.add(cur.toString());
        return out;
    }
}
