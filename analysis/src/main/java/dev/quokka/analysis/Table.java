package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.List;

/** A small table of formatted cells, written as Markdown (to read) and CSV (to load). */
public final class Table {
    private final String title;
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public Table(String title, List<String> header) {
        this.title = title;
        this.header = List.copyOf(header);
    }

    public Table row(List<String> cells) {
        if (cells.size() != header.size()) throw new IllegalArgumentException("a row of " + cells.size() + " cells in a table of " + header.size() + " columns");
        rows.add(List.copyOf(cells));
        return this;
    }

    /** A line under the table, for what its cells cannot say (Markdown only). */
    public Table note(String line) {
        notes.add(line);
        return this;
    }

    public String title() {
        return title;
    }

    public String markdown() {
        StringBuilder s = new StringBuilder("### ").append(title).append("\n\n");
        s.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.size(); i++) s.append(i == 0 ? "---|" : "---:|");
        s.append('\n');
        for (List<String> r : rows) s.append("| ").append(String.join(" | ", r)).append(" |\n");
        for (String n : notes) s.append('\n').append(n).append('\n');
        return s.toString();
    }

    public String csv() {
        StringBuilder s = new StringBuilder(String.join(",", header)).append('\n');
        for (List<String> r : rows) s.append(String.join(",", r.stream().map(Table::csvCell).toList())).append('\n');
        return s.toString();
    }

    private static String csvCell(String c) {
        return c.contains(",") || c.contains("\"") ? '"' + c.replace("\"", "\"\"") + '"' : c;
    }
}
