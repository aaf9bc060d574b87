package dev.parapet.cli;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.Histogram;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * PNG charts for {@code eval --plots} with XChart, rendered off-screen (headless): ROC and
 * precision-recall curves with one series per evaluated model, and per model the score histogram
 * of each true class with the threshold marked.
 */
final class Charts {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 600;
    private static final int BINS = 20;

    /** Scores of one model with the true labels (1 = positive). */
    record Curve(String name, double[] scores, int[] labels) {
    }

    private Charts() {
    }

    static Path roc(Path dir, String title, List<Curve> curves) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("false positive rate").yAxisTitle("true positive rate").build();
        style(chart);
        for (Curve c : curves) {
            double[][] pts = thin(rocPoints(c.scores(), c.labels()));
            XYSeries s = chart.addSeries(c.name(), pts[0], pts[1]);
            s.setMarker(SeriesMarkers.NONE);
        }
        anchor(chart);
        XYSeries chance = chart.addSeries("chance", new double[]{0, 1}, new double[]{0, 1});
        chance.setMarker(SeriesMarkers.NONE);
        chance.setLineStyle(new java.awt.BasicStroke(1f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 10f,
                new float[]{6f, 6f}, 0f));
        chance.setLineColor(java.awt.Color.GRAY);
        return save(chart, dir.resolve("roc.png"));
    }

    static Path precisionRecall(Path dir, String title, List<Curve> curves) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("recall").yAxisTitle("precision").build();
        style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
        for (Curve c : curves) {
            double[][] pts = thin(prPoints(c.scores(), c.labels()));
            XYSeries s = chart.addSeries(c.name(), pts[0], pts[1]);
            s.setMarker(SeriesMarkers.NONE);
        }
        anchor(chart);
        return save(chart, dir.resolve("precision-recall.png"));
    }

    /**
     * Score histograms of two groups (e.g. the true classes) on [0, 1], overlaid.
     *
     * @param file file name inside {@code dir}
     */
    static Path histogram(Path dir, String file, String title, String xTitle, String nameA, double[] a, String nameB, double[] b,
                          double threshold) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(Double.isNaN(threshold) ? title : String.format(Locale.ROOT, "%s (threshold %.4f)", title, threshold))
                .xAxisTitle(xTitle).yAxisTitle("rows").build();
        chart.getStyler().setOverlapped(true);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideN);
        chart.getStyler().setXAxisLabelRotation(45);
        chart.getStyler().setXAxisDecimalPattern("0.00");
        chart.getStyler().setAvailableSpaceFill(0.95);
        add(chart, nameA, a);
        add(chart, nameB, b);
        return save(chart, dir.resolve(file));
    }

    private static void add(CategoryChart chart, String name, double[] values) {
        List<Double> data = new ArrayList<>();
        for (double v : values) {
            if (!Double.isNaN(v)) {
                data.add(v);
            }
        }
        Histogram h = new Histogram(data, BINS, 0.0, 1.0);
        chart.addSeries(name + " (" + data.size() + ")", h.getxAxisData(), h.getyAxisData());
    }

    /**
     * XChart puts ticks at the data values when an axis' distinct values are equally spaced (meant for time
     * series) and then labels them with the decimal pattern, so the labels lie. ROC and PR curves hit that:
     * their rates are all the multiples of 1/positives. An invisible series with one value off that grid
     * keeps XChart on its ordinary, correct ticks.
     */
    private static void anchor(XYChart chart) {
        XYSeries s = chart.addSeries(" ", new double[]{0.0, 0.00005}, new double[]{0.0, 0.00005});
        s.setMarker(SeriesMarkers.NONE);
        s.setLineStyle(SeriesLines.NONE);
        s.setShowInLegend(false);
    }

    /** At most 2,000 points per curve (plenty at 800 pixels), keeping the first and the last; gaps stay above XChart's 1e-4 tolerance. */
    static double[][] thin(double[][] pts) {
        int n = pts[0].length;
        if (n <= 2000) {
            return pts;
        }
        double step = (n - 1) / 1999.0;
        double[] x = new double[2000];
        double[] y = new double[2000];
        for (int i = 0; i < 2000; i++) {
            int k = (int) Math.round(i * step);
            x[i] = pts[0][k];
            y[i] = pts[1][k];
        }
        return new double[][]{x, y};
    }

    private static void style(XYChart chart) {
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax(1.0);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        chart.getStyler().setXAxisDecimalPattern("0.0");
        chart.getStyler().setYAxisDecimalPattern("0.0");
    }

    private static Path save(Chart<?, ?> chart, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream out = Files.newOutputStream(file)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
            return file;
        } catch (IOException e) {
            throw new CliException("cannot write chart " + file + ": " + e.getMessage(), e);
        }
    }

    /** Rows with a score, in descending score order (ties by index). */
    private static Integer[] order(double[] scores) {
        return java.util.stream.IntStream.range(0, scores.length).filter(i -> !Double.isNaN(scores[i])).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i)).toArray(Integer[]::new);
    }

    /** ROC points (FPR, TPR) at every distinct threshold, from (0, 0) to (1, 1). */
    static double[][] rocPoints(double[] scores, int[] y) {
        Integer[] o = order(scores);
        long pos = Arrays.stream(o).filter(i -> y[i] == 1).count();
        long neg = o.length - pos;
        List<double[]> pts = new ArrayList<>();
        pts.add(new double[]{0, 0});
        long tp = 0;
        long fp = 0;
        for (int k = 0; k < o.length; k++) {
            if (y[o[k]] == 1) {
                tp++;
            } else {
                fp++;
            }
            if (k + 1 == o.length || scores[o[k + 1]] != scores[o[k]]) {
                pts.add(new double[]{neg == 0 ? 0 : (double) fp / neg, pos == 0 ? 0 : (double) tp / pos});
            }
        }
        return columns(pts);
    }

    /** Precision-recall points at every distinct threshold, starting at recall 0 with precision 1 (scikit-learn's convention). */
    static double[][] prPoints(double[] scores, int[] y) {
        Integer[] o = order(scores);
        long pos = Arrays.stream(o).filter(i -> y[i] == 1).count();
        List<double[]> pts = new ArrayList<>();
        pts.add(new double[]{0, 1});
        long tp = 0;
        for (int k = 0; k < o.length; k++) {
            tp += y[o[k]];
            if (k + 1 == o.length || scores[o[k + 1]] != scores[o[k]]) {
                pts.add(new double[]{pos == 0 ? 0 : (double) tp / pos, (double) tp / (k + 1)});
            }
        }
        return columns(pts);
    }

    private static double[][] columns(List<double[]> pts) {
        double[] x = new double[pts.size()];
        double[] yv = new double[pts.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = pts.get(i)[0];
            yv[i] = pts.get(i)[1];
        }
        return new double[][]{x, yv};
    }

    /** A file-name-safe form of a model name. */
    static String slug(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
        return s.isEmpty() ? "model" : s;
    }
}
