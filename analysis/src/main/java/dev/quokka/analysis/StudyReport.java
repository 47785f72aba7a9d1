package dev.quokka.analysis;

import java.awt.BasicStroke;
import java.awt.Graphics2D;
import java.awt.geom.Path2D;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A whole study's report, DLM beside AR: every run's validation loss at each epoch boundary in one plot (same colour
 * for the same N and U, solid for the DLM, dashed for AR, a diamond at each run's best epoch), with the study's summary above it.
 */
public final class StudyReport {
    private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
    private static final BasicStroke SOLID = new BasicStroke(2f);

    private StudyReport() {}

    /** report.html and its plot; {@code links} are (href, label) pairs shown under the summary. */
    public static Map<String, byte[]> files(String title, String summaryMarkdown, List<FitPoint> points, Map<String, String> links) {
        return withFigures(title, summaryMarkdown, List.of(new Report.Figure("study-curves.png", Report.png(curves(points)), "Validation loss at every "
                + "epoch boundary: DLM solid, AR dashed, one colour per (N, U); a diamond marks each run's best epoch.")), links);
    }

    /**
     * report.html with {@code figures} (each written beside it) between the summary's title and its text, and
     * {@code links}, (href, label) pairs, under the summary.
     */
    public static Map<String, byte[]> withFigures(String title, String summaryMarkdown, List<Report.Figure> figures, Map<String, String> links) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        StringBuilder s = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Report.escape(title))
                .append("</title>\n<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}img{max-width:100%;border:1px solid #ddd}"
                        + "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
                        + "th:first-child,td:first-child{text-align:left}</style></head><body>\n");
        String md = summaryMarkdown;
        if (md.startsWith("# ")) { // the summary's own title goes above the plots
            s.append("<h1>").append(Report.escape(md.substring(2, md.indexOf('\n')))).append("</h1>\n");
            md = md.substring(md.indexOf('\n') + 1);
        }
        for (Report.Figure f : figures) {
            if (f.png() == null) {
                s.append("<p class=\"not-drawn\">").append(Report.escape(f.caption())).append("</p>\n");
                continue;
            }
            files.put(f.file(), f.png());
            s.append("<figure><img src=\"").append(Report.escape(f.file())).append("\" alt=\"").append(Report.escape(f.caption()))
                    .append("\"><figcaption>").append(Report.escape(f.caption())).append("</figcaption></figure>\n");
        }
        s.append(Report.markdown(md));
        s.append("<ul>\n");
        links.forEach((href, label) -> s.append("<li><a href=\"").append(Report.escape(href)).append("\">").append(Report.escape(label)).append("</a></li>\n"));
        s.append("</ul>\n</body></html>\n");
        files.put("report.html", s.toString().getBytes(StandardCharsets.UTF_8));
        return files;
    }

    static XYChart curves(List<FitPoint> points) {
        return curves(points, true);
    }

    /** {@code bestMarks}: draw each run's best-epoch diamond (false only for the test that looks for it). */
    static XYChart curves(List<FitPoint> points, boolean bestMarks) {
        XYChart chart = new XYChartBuilder().width(Report.WIDTH).height(Report.HEIGHT).title("DLM (solid) and AR (dashed): validation loss against epochs")
                .xAxisTitle("epochs").yAxisTitle("validation loss (nats per token)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        Map<String, List<FitPoint>> runs = Report.runs(points);
        Comparator<FitPoint> bySize = Comparator.comparingDouble(FitPoint::n).thenComparingDouble(FitPoint::u);
        List<String> cells = runs.values().stream().map(r -> r.get(0)).sorted(bySize).map(StudyReport::cell).distinct().toList();
        List<List<FitPoint>> ordered = new ArrayList<>(runs.values());
        ordered.sort(Comparator.comparing((List<FitPoint> r) -> r.get(0), bySize).thenComparing(r -> r.get(0).objective()));
        for (List<FitPoint> run : ordered) {
            List<FitPoint> sorted = new ArrayList<>(run);
            sorted.sort(Comparator.comparingDouble(FitPoint::epochs));
            FitPoint first = sorted.get(0);
            java.awt.Color colour = Report.PALETTE[cells.indexOf(cell(first)) % Report.PALETTE.length];
            boolean ar = "ar".equals(first.objective());
            String name = first.objective().toUpperCase() + " " + cell(first);
            XYSeries line = chart.addSeries(name, sorted.stream().mapToDouble(FitPoint::epochs).toArray(), sorted.stream().mapToDouble(FitPoint::loss).toArray());
            line.setLineColor(colour);
            line.setMarkerColor(colour);
            line.setLineStyle(ar ? DASHED : SOLID);
            line.setMarker(ar ? SeriesMarkers.SQUARE : SeriesMarkers.CIRCLE);
            if (!bestMarks) continue;
            FitPoint best = sorted.stream().min(Comparator.comparingDouble(FitPoint::loss)).orElseThrow();
            XYSeries mark = chart.addSeries(name + " best", new double[] {best.epochs()}, new double[] {best.loss()});
            mark.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            mark.setMarker(BEST);
            mark.setMarkerColor(colour);
            mark.setShowInLegend(false);
        }
        chart.getStyler().setMarkerSize(5);
        return chart;
    }

    /**
     * The best-epoch mark: a diamond well larger than the line's own markers, outlined in black. XChart's diamond is
     * drawn at the markers' common size, so over a run's own circle of the same colour it could not be seen.
     */
    static final Marker BEST = new Marker() {
        private final BasicStroke outline = new BasicStroke(1.2f);

        @Override
        public void paint(Graphics2D g, double x, double y, int markerSize) {
            double half = markerSize * 1.6;
            Path2D.Double diamond = new Path2D.Double();
            diamond.moveTo(x - half, y);
            diamond.lineTo(x, y - half);
            diamond.lineTo(x + half, y);
            diamond.lineTo(x, y + half);
            diamond.closePath();
            g.fill(diamond);
            java.awt.Paint fill = g.getPaint();
            g.setStroke(outline);
            g.setPaint(java.awt.Color.BLACK);
            g.draw(diamond);
            g.setPaint(fill);
        }
    };

    private static String cell(FitPoint p) {
        return "N " + Quantities.format(p.n()) + ", U " + Quantities.format(p.u());
    }
}
