package dev.parapet.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A table for a terminal: columns as wide as their widest cell, text left-aligned and numbers
 * right-aligned, or the same as a Markdown table for a report.
 */
final class TextTable {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    TextTable(List<String> header) {
        this.header = List.copyOf(header);
    }

    TextTable(String... header) {
        this(List.of(header));
    }

    TextTable row(List<String> cells) {
        if (cells.size() != header.size()) {
            throw new IllegalArgumentException("row has " + cells.size() + " cells, header " + header.size());
        }
        rows.add(List.copyOf(cells));
        return this;
    }

    TextTable row(String... cells) {
        return row(List.of(cells));
    }

    private int[] widths() {
        int[] w = new int[header.size()];
        for (int c = 0; c < w.length; c++) {
            w[c] = header.get(c).length();
            for (List<String> r : rows) {
                w[c] = Math.max(w[c], r.get(c).length());
            }
        }
        return w;
    }

    /** Numbers (and "-") right-aligned in columns whose cells are all numeric. */
    private boolean[] numeric() {
        boolean[] n = new boolean[header.size()];
        for (int c = 0; c < n.length; c++) {
            // empty cells (a scanner that did not run on that row) do not decide
            boolean any = false;
            boolean all = true;
            for (List<String> r : rows) {
                String cell = r.get(c);
                if (!cell.isEmpty()) {
                    any = true;
                    all &= cell.matches("[-+]?[$]?[0-9.,]*[0-9][0-9.,]*[%*x]?|-");
                }
            }
            n[c] = any && all;
        }
        return n;
    }

    /** Columns separated by two spaces. */
    String render() {
        int[] w = widths();
        boolean[] num = numeric();
        StringBuilder sb = new StringBuilder();
        line(sb, header, w, num, "  ", "", "");
        for (List<String> r : rows) {
            line(sb, r, w, num, "  ", "", "");
        }
        return sb.toString();
    }

    /** A Markdown table (pipes, a separator row with right-aligned numeric columns). */
    String markdown() {
        int[] w = widths();
        boolean[] num = numeric();
        StringBuilder sb = new StringBuilder();
        line(sb, header, w, num, " | ", "| ", " |");
        sb.append('|');
        for (int c = 0; c < w.length; c++) {
            sb.append(num[c] ? "-".repeat(w[c] + 1) + ":|" : "-".repeat(w[c] + 2) + "|");
        }
        sb.append('\n');
        for (List<String> r : rows) {
            line(sb, r, w, num, " | ", "| ", " |");
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w, boolean[] num, String sep, String open, String close) {
        StringBuilder l = new StringBuilder(open);
        for (int c = 0; c < cells.size(); c++) {
            if (c > 0) {
                l.append(sep);
            }
            String s = cells.get(c);
            String pad = " ".repeat(w[c] - s.length());
            l.append(num[c] ? pad + s : s + pad);
        }
        l.append(close);
        sb.append(close.isEmpty() ? l.toString().stripTrailing() : l).append('\n');
    }
}
