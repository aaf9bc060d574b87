package dev.parapet.train;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Per-class precision, recall, F1 and support with accuracy and macro / weighted averages,
 * printed exactly in the layout of scikit-learn's {@code classification_report}: same column
 * widths, same blank lines, same rounding (numbers are rounded half-to-even on their exact binary
 * value, as Python's format does, not half-up as {@link String#format} does). A class with no
 * predicted (or no true) rows gets 0 where the ratio is undefined, as scikit-learn's default
 * {@code zero_division} does.
 */
public final class ClassificationReport {
    /** One row of the report. */
    public record Row(String label, double precision, double recall, double f1, long support) {
    }

    private final List<Row> classes;
    private final double accuracy;
    private final Row macro;
    private final Row weighted;
    private final long[][] confusion;

    private ClassificationReport(List<Row> classes, double accuracy, Row macro, Row weighted, long[][] confusion) {
        this.classes = List.copyOf(classes);
        this.accuracy = accuracy;
        this.macro = macro;
        this.weighted = weighted;
        this.confusion = confusion;
    }

    /**
     * @param labels names of classes {@code 0..k-1}, in report order
     * @param yTrue  true class ids
     * @param yPred  predicted class ids
     */
    public static ClassificationReport of(List<String> labels, int[] yTrue, int[] yPred) {
        Objects.requireNonNull(labels, "labels");
        if (yTrue.length != yPred.length) {
            throw new IllegalArgumentException("yTrue has " + yTrue.length + " entries, yPred " + yPred.length);
        }
        int k = labels.size();
        long[][] m = Metrics.confusionMatrix(yTrue, yPred, k);
        List<Row> rows = new ArrayList<>();
        long total = yTrue.length;
        long correct = 0;
        double mp = 0;
        double mr = 0;
        double mf = 0;
        double wp = 0;
        double wr = 0;
        double wf = 0;
        for (int c = 0; c < k; c++) {
            long tp = m[c][c];
            long support = 0;
            long predicted = 0;
            for (int j = 0; j < k; j++) {
                support += m[c][j];
                predicted += m[j][c];
            }
            correct += tp;
            double precision = predicted == 0 ? 0 : (double) tp / predicted;
            double recall = support == 0 ? 0 : (double) tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            rows.add(new Row(labels.get(c), precision, recall, f1, support));
            mp += precision / k;
            mr += recall / k;
            mf += f1 / k;
            wp += precision * support;
            wr += recall * support;
            wf += f1 * support;
        }
        double accuracy = total == 0 ? 0 : (double) correct / total;
        Row macro = new Row("macro avg", mp, mr, mf, total);
        Row weighted = total == 0 ? new Row("weighted avg", 0, 0, 0, 0)
                : new Row("weighted avg", wp / total, wr / total, wf / total, total);
        return new ClassificationReport(rows, accuracy, macro, weighted, m);
    }

    public List<Row> classes() {
        return classes;
    }

    public Row row(String label) {
        return classes.stream().filter(r -> r.label().equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no class '" + label + "' in " + classes));
    }

    public double accuracy() {
        return accuracy;
    }

    public Row macroAvg() {
        return macro;
    }

    public Row weightedAvg() {
        return weighted;
    }

    /** {@code [true][predicted]} counts. */
    public long[][] confusionMatrix() {
        long[][] c = new long[confusion.length][];
        for (int i = 0; i < c.length; i++) {
            c[i] = confusion[i].clone();
        }
        return c;
    }

    /** The report with 2 digits, as {@code print(classification_report(...))} shows it (without print's final newline). */
    @Override
    public String toString() {
        return format(2);
    }

    /** The report with {@code digits} decimals, character for character scikit-learn's layout. */
    public String format(int digits) {
        String lastHeading = "weighted avg";
        int width = lastHeading.length();
        for (Row r : classes) {
            width = Math.max(width, r.label().length());
        }
        width = Math.max(width, digits);
        StringBuilder sb = new StringBuilder();
        sb.append(right("", width)).append(' ');
        for (String h : new String[] {"precision", "recall", "f1-score", "support"}) {
            sb.append(' ').append(right(h, 9));
        }
        sb.append("\n\n");
        for (Row r : classes) {
            row(sb, r, width, digits);
        }
        sb.append('\n');
        // scikit-learn prints "accuracy" instead of "micro avg" when every label is reported
        sb.append(right("accuracy", width)).append(' ')
                .append(' ').append(right("", 9))
                .append(' ').append(right("", 9))
                .append(' ').append(right(fixed(accuracy, digits), 9))
                .append(' ').append(right(Long.toString(macro.support()), 9)).append('\n');
        row(sb, macro, width, digits);
        row(sb, weighted, width, digits);
        return sb.toString();
    }

    private static void row(StringBuilder sb, Row r, int width, int digits) {
        sb.append(right(r.label(), width)).append(' ')
                .append(' ').append(right(fixed(r.precision(), digits), 9))
                .append(' ').append(right(fixed(r.recall(), digits), 9))
                .append(' ').append(right(fixed(r.f1(), digits), 9))
                .append(' ').append(right(Long.toString(r.support()), 9)).append('\n');
    }

    /** Python's {@code format(x, '.Nf')}: exact binary value, rounded half to even. */
    static String fixed(double x, int digits) {
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static String right(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }
}
