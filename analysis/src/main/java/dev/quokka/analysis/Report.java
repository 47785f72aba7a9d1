package dev.quokka.analysis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.Node;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A fit's report: PNG plots (XChart) and a self-contained report.html that shows them beside the fit (its Markdown
 * rendered by CommonMark) and links fit.json and the points. Files are returned by name, for the caller to write
 * where its output goes.
 */
public final class Report {
    static final int WIDTH = 900, HEIGHT = 600, CURVES = 8, SCATTER = 5000;
    /** One colour per run, shared by its points and its fitted curve. */
    static final java.awt.Color[] PALETTE = {new java.awt.Color(0x1f77b4), new java.awt.Color(0xff7f0e), new java.awt.Color(0x2ca02c),
            new java.awt.Color(0xd62728), new java.awt.Color(0x9467bd), new java.awt.Color(0x8c564b), new java.awt.Color(0xe377c2),
            new java.awt.Color(0x7f7f7f), new java.awt.Color(0xbcbd22), new java.awt.Color(0x17becf)};

    private Report() {}

    /**
     * A plot and its caption; {@code png} is null when the fit gives nothing to draw there, and then the caption
     * says why, in one line, where the plot would be.
     */
    public record Figure(String file, byte[] png, String caption) {}

    public static Map<String, byte[]> files(String title, Law law, List<FitPoint> points, String fitMarkdown) {
        List<Figure> figures = new ArrayList<>();
        figures.add(lossFigure(law, points));
        figures.add(predictedFigure(law, points));
        if (law instanceof QuokkaLaw q) figures.add(optimalEpochsFigure(q, points));
        figures.add(isoLossFigure(law, points));
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Figure f : figures) if (f.png() != null) files.put(f.file(), f.png());
        files.put("report.html", html(title, fitMarkdown, figures).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return files;
    }

    static Figure lossFigure(Law law, List<FitPoint> points) {
        XYChart chart = lossVersusEpochs(law, points);
        int shown = Math.min(CURVES, runs(points).size());
        long fitted = chart.getSeriesMap().keySet().stream().filter(k -> k.endsWith(" (fit)")).count();
        String caption = "Validation loss against epochs for " + shown + " runs spread over (N, U): observed points and the fitted law"
                + (fitted == shown ? "." : fitted == 0 ? "; the fit predicts no finite loss along any of them, so no fitted curve is drawn."
                : "; " + (shown - fitted) + " of them have no fitted curve, where the fit predicts no finite loss.");
        return new Figure("loss-vs-epochs.png", png(chart), caption);
    }

    static Figure predictedFigure(Law law, List<FitPoint> points) {
        XYChart chart = predictedVersusObserved(law, points);
        if (chart.getSeriesMap().isEmpty()) {
            return new Figure("predicted-vs-observed.png", null, "Predicted against observed: not drawn, the fit predicts no finite loss at any point.");
        }
        return new Figure("predicted-vs-observed.png", png(chart), "Predicted against observed loss for every point; the line is y = x.");
    }

    /** e_opt over the data's range, unless it is the same everywhere there (a fit that does not place it), or not finite. */
    static Figure optimalEpochsFigure(QuokkaLaw law, List<FitPoint> points) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double n : Synthetic.logSpace(min(points, FitPoint::n), max(points, FitPoint::n), 9)) {
            for (double u : Synthetic.logSpace(min(points, FitPoint::u), max(points, FitPoint::u), 9)) {
                double e = law.optimalEpochs(n, u);
                lo = Math.min(lo, e);
                hi = Math.max(hi, e);
            }
        }
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            return new Figure("e-opt-heatmap.png", null, "e_opt(N, U): not drawn, the fit gives no finite e_opt over the range of the data.");
        }
        if (hi <= lo * 1.01) {
            return new Figure("e-opt-heatmap.png", null, String.format(java.util.Locale.ROOT,
                    "e_opt(N, U): not drawn, the fit puts e_opt at %s everywhere in the range of the data, so it does not place it.",
                    Quantities.format(lo)));
        }
        return new Figure("e-opt-heatmap.png", png(optimalEpochsHeatmap(law, points)), "log10 of the optimal epochs e_opt(N, U) over the range of the data.");
    }

    static Figure isoLossFigure(Law law, List<FitPoint> points) {
        XYChart chart = isoLoss(law, points);
        int levels = chart.getSeriesMap().size();
        if (levels < 2) {
            return new Figure("iso-loss.png", null, "Iso-loss contours over (N, D): not drawn, " + (levels == 0 ? "none" : "only one")
                    + " of the data's loss levels is reached by single-epoch training under this fit between D = 1e3 and 1e16.");
        }
        return new Figure("iso-loss.png", png(chart), "Iso-loss contours over (N, D) for single-epoch training (U = D): " + levels
                + " levels, quantiles of the observed losses.");
    }

    /** Points by run, in the order their runs first appear. */
    static Map<String, List<FitPoint>> runs(List<FitPoint> points) {
        Map<String, List<FitPoint>> runs = new LinkedHashMap<>();
        for (FitPoint p : points) runs.computeIfAbsent(p.run(), k -> new ArrayList<>()).add(p);
        return runs;
    }

    static XYChart lossVersusEpochs(Law law, List<FitPoint> points) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Loss against epochs").xAxisTitle("epochs").yAxisTitle("validation loss").build();
        chart.getStyler().setXAxisLogarithmic(true);
        List<List<FitPoint>> runs = new ArrayList<>(runs(points).values());
        runs.sort(Comparator.comparingDouble((List<FitPoint> r) -> r.get(0).n()).thenComparingDouble(r -> r.get(0).u()));
        int shown = Math.min(CURVES, runs.size());
        for (int k = 0; k < shown; k++) {
            List<FitPoint> run = runs.get(shown == 1 ? 0 : k * (runs.size() - 1) / (shown - 1));
            run.sort(Comparator.comparingDouble(FitPoint::epochs));
            FitPoint first = run.get(0);
            String name = "N " + Quantities.format(first.n()) + ", U " + Quantities.format(first.u());
            XYSeries observed = chart.addSeries(name, run.stream().mapToDouble(FitPoint::epochs).toArray(), run.stream().mapToDouble(FitPoint::loss).toArray());
            observed.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            observed.setMarker(SeriesMarkers.CIRCLE);
            observed.setMarkerColor(PALETTE[k % PALETTE.length]);
            double lo = run.get(0).epochs(), hi = run.get(run.size() - 1).epochs();
            // A degenerate fit can predict an infinite loss (D' underflowing to 0); those stretches are left out.
            List<Double> e = new ArrayList<>(), fitted = new ArrayList<>();
            for (double x : Synthetic.logSpace(lo, Math.max(hi, lo * 1.0001), 100)) {
                double y = law.loss(first.n(), first.u(), first.u() * x);
                if (Double.isFinite(y)) {
                    e.add(x);
                    fitted.add(y);
                }
            }
            if (e.size() < 2) continue;
            XYSeries curve = chart.addSeries(name + " (fit)", e, fitted);
            curve.setMarker(SeriesMarkers.NONE);
            curve.setLineColor(PALETTE[k % PALETTE.length]);
            curve.setShowInLegend(false);
        }
        return chart;
    }

    static XYChart predictedVersusObserved(Law law, List<FitPoint> points) {
        int step = Math.max(1, points.size() / SCATTER), infinite = 0;
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        for (int i = 0; i < points.size(); i += step) {
            FitPoint p = points.get(i);
            double predicted = law.loss(p.n(), p.u(), p.d());
            if (!Double.isFinite(predicted)) {
                infinite++;
                continue;
            }
            x.add(p.loss());
            y.add(predicted);
        }
        String title = "Predicted against observed" + (infinite > 0 ? " (" + infinite + " points predicted non-finite, not shown)" : "");
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("observed loss").yAxisTitle("predicted loss").build();
        if (x.isEmpty()) return chart;
        chart.addSeries("points", x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        double lo = Math.min(x.stream().min(Double::compare).orElse(0.0), y.stream().min(Double::compare).orElse(0.0));
        double hi = Math.max(x.stream().max(Double::compare).orElse(1.0), y.stream().max(Double::compare).orElse(1.0));
        chart.addSeries("y = x", new double[] {lo, hi}, new double[] {lo, hi}).setMarker(SeriesMarkers.NONE);
        return chart;
    }

    static HeatMapChart optimalEpochsHeatmap(QuokkaLaw law, List<FitPoint> points) {
        double[] n = Synthetic.logSpace(min(points, FitPoint::n), max(points, FitPoint::n), 9);
        double[] u = Synthetic.logSpace(min(points, FitPoint::u), max(points, FitPoint::u), 9);
        HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).title("log10 e_opt(N, U)").xAxisTitle("N").yAxisTitle("U").build();
        List<String> xs = new ArrayList<>(), ys = new ArrayList<>();
        for (double v : n) xs.add(Quantities.format(v));
        for (double v : u) ys.add(Quantities.format(v));
        List<Number[]> heat = new ArrayList<>();
        for (int i = 0; i < n.length; i++) {
            for (int j = 0; j < u.length; j++) {
                double e = law.optimalEpochs(n[i], u[j]);
                if (Double.isFinite(e)) heat.add(new Number[] {i, j, Math.round(100 * Math.log10(e)) / 100.0}); // else an empty cell
            }
        }
        chart.addSeries("log10 e_opt", xs, ys, heat);
        chart.getStyler().setShowValue(true);
        return chart;
    }

    /** For each loss level, the single-epoch D at which a model of N reaches it, where it can. */
    static XYChart isoLoss(Law law, List<FitPoint> points) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Iso-loss contours (one epoch)").xAxisTitle("N").yAxisTitle("D").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        double[] n = Synthetic.logSpace(min(points, FitPoint::n) / 10, max(points, FitPoint::n) * 10, 80);
        double[] losses = points.stream().mapToDouble(FitPoint::loss).sorted().toArray();
        TreeMap<Double, Boolean> levels = new TreeMap<>();
        for (double q : new double[] {0.1, 0.3, 0.5, 0.7, 0.9}) levels.put(Math.round(1000 * losses[(int) (q * (losses.length - 1))]) / 1000.0, true);
        for (double level : levels.keySet()) {
            List<Double> xs = new ArrayList<>(), ds = new ArrayList<>();
            for (double size : n) {
                double d = dataFor(law, size, level);
                if (Double.isFinite(d)) {
                    xs.add(size);
                    ds.add(d);
                }
            }
            if (xs.size() >= 2) chart.addSeries("loss " + level, xs, ds).setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /** The D in [1e3, 1e16] with loss(N, D, D) = level (bisection in log D), or NaN if the level is out of reach. */
    static double dataFor(Law law, double n, double level) {
        double lo = 3, hi = 16;
        if (law.loss(n, Math.pow(10, hi), Math.pow(10, hi)) > level || law.loss(n, Math.pow(10, lo), Math.pow(10, lo)) < level) return Double.NaN;
        for (int i = 0; i < 60; i++) {
            double mid = (lo + hi) / 2, d = Math.pow(10, mid);
            if (law.loss(n, d, d) > level) lo = mid;
            else hi = mid;
        }
        return Math.pow(10, (lo + hi) / 2);
    }

    static String html(String title, String fitMarkdown, List<Figure> figures) {
        StringBuilder s = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title))
                .append("</title>\n<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}img{max-width:100%;border:1px solid #ddd}"
                        + "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
                        + "th:first-child,td:first-child{text-align:left}</style></head><body>\n");
        s.append(markdown(fitMarkdown));
        s.append("<p><a href=\"fit.json\">fit.json</a> · <a href=\"fit.md\">fit.md</a> · <a href=\"points\">points (Parquet)</a></p>\n");
        for (Figure f : figures) {
            if (f.png() == null) {
                s.append("<p class=\"not-drawn\">").append(escape(f.caption())).append("</p>\n");
            } else {
                s.append("<figure><img src=\"").append(f.file()).append("\" alt=\"").append(escape(f.caption()))
                        .append("\"><figcaption>").append(escape(f.caption())).append("</figcaption></figure>\n");
            }
        }
        return s.append("</body></html>\n").toString();
    }

    /** The fit's Markdown as HTML; raw HTML in it is escaped, not passed through. */
    static String markdown(String md) {
        List<org.commonmark.Extension> tables = List.of(TablesExtension.create());
        Node doc = Parser.builder().extensions(tables).build().parse(md);
        return HtmlRenderer.builder().extensions(tables).escapeHtml(true).build().render(doc);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double min(List<FitPoint> points, java.util.function.ToDoubleFunction<FitPoint> f) {
        return points.stream().mapToDouble(f).min().orElseThrow();
    }

    private static double max(List<FitPoint> points, java.util.function.ToDoubleFunction<FitPoint> f) {
        return points.stream().mapToDouble(f).max().orElseThrow();
    }
}
