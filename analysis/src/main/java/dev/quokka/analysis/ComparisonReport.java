package dev.quokka.analysis;

import java.awt.BasicStroke;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The plots of a {@link Comparison}: the final validation loss against the first axis's value, one line per
 * objective, N, U and values of the other axes (DLM solid, AR dashed; bars for an axis that is not numeric); and every
 * run's validation loss against tokens, coloured by the first axis's value.
 */
public final class ComparisonReport {
    private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);

    private ComparisonReport() {}

    /** The figures, then report.html with {@code markdown} above them. */
    public static Map<String, byte[]> files(String title, Comparison.Result r, String markdown) {
        List<Report.Figure> figures = List.of(
                new Report.Figure("final-loss.png", finalLoss(r), "Final validation loss against " + r.axes().get(0)
                        + ", mean over each cell's runs: DLM solid, AR dashed, a line per N, U" + (r.axes().size() > 1 ? " and value of the other axes." : ".")),
                new Report.Figure("curves.png", Report.png(curves(r)), "Every run's validation loss against training tokens, coloured by "
                        + r.axes().get(0) + ": DLM solid, AR dashed."));
        Map<String, String> links = new LinkedHashMap<>();
        links.put("compare.md", "the tables, as Markdown");
        links.put("cells.csv", "every cell, as CSV");
        if (Comparison.transferTable(r) != null) links.put("transfer.csv", "the transfer table, as CSV");
        return StudyReport.withFigures(title, markdown, figures, links);
    }

    private static byte[] finalLoss(Comparison.Result r) {
        boolean numeric = r.cells().stream().allMatch(c -> Comparison.numeric(c.values().get(0)));
        Map<String, List<Comparison.Cell>> lines = new LinkedHashMap<>();
        for (Comparison.Cell c : r.cells()) {
            List<String> others = new ArrayList<>(c.values().subList(1, c.values().size()));
            String name = c.objective().toUpperCase() + " N " + Quantities.format(c.n()) + " U " + Quantities.format(c.u()) + (others.isEmpty() ? "" : " " + String.join(" ", others));
            lines.computeIfAbsent(name, k -> new ArrayList<>()).add(c);
        }
        if (!numeric) {
            CategoryChart chart = new CategoryChartBuilder().width(Report.WIDTH).height(Report.HEIGHT).title("Final validation loss by " + r.axes().get(0))
                    .xAxisTitle(r.axes().get(0)).yAxisTitle("validation loss (nats per token)").build();
            List<String> categories = r.cells().stream().map(c -> c.values().get(0)).distinct().sorted().toList();
            lines.forEach((name, cells) -> {
                List<Double> ys = new ArrayList<>();
                for (String cat : categories) {
                    ys.add(cells.stream().filter(c -> c.values().get(0).equals(cat)).mapToDouble(Comparison.Cell::finalLoss).findFirst().orElse(Double.NaN));
                }
                chart.addSeries(name, categories, ys);
            });
            return Report.png(chart);
        }
        List<Double> xs = r.cells().stream().map(c -> Double.parseDouble(c.values().get(0))).toList();
        double lo = xs.stream().mapToDouble(Double::doubleValue).min().orElse(1), hi = xs.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        XYChart chart = new XYChartBuilder().width(Report.WIDTH).height(Report.HEIGHT).title("Final validation loss against " + r.axes().get(0))
                .xAxisTitle(r.axes().get(0)).yAxisTitle("validation loss (nats per token)").build();
        chart.getStyler().setXAxisLogarithmic(lo > 0 && hi / lo >= 10);
        int k = 0;
        for (Map.Entry<String, List<Comparison.Cell>> e : lines.entrySet()) {
            List<Comparison.Cell> cells = new ArrayList<>(e.getValue());
            cells.sort(java.util.Comparator.comparingDouble(c -> Double.parseDouble(c.values().get(0))));
            XYSeries s = chart.addSeries(e.getKey(), cells.stream().map(c -> Double.parseDouble(c.values().get(0))).toList(),
                    cells.stream().map(Comparison.Cell::finalLoss).toList());
            java.awt.Color colour = Report.PALETTE[k++ % Report.PALETTE.length];
            s.setLineColor(colour);
            s.setMarkerColor(colour);
            if (e.getKey().startsWith("AR")) s.setLineStyle(DASHED);
        }
        return Report.png(chart);
    }

    static XYChart curves(Comparison.Result r) {
        XYChart chart = new XYChartBuilder().width(Report.WIDTH).height(Report.HEIGHT).title("Validation loss by " + r.axes().get(0))
                .xAxisTitle("training tokens").yAxisTitle("validation loss (nats per token)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        List<String> values = r.curves().stream().map(c -> c.values().get(0)).distinct().sorted().toList();
        for (Comparison.Curve c : r.curves()) {
            XYSeries s = chart.addSeries(c.run().substring(c.run().lastIndexOf('/') + 1), c.tokens(), c.loss());
            java.awt.Color colour = Report.PALETTE[values.indexOf(c.values().get(0)) % Report.PALETTE.length];
            s.setLineColor(colour);
            s.setMarker(SeriesMarkers.NONE);
            if (c.objective().equals("ar")) s.setLineStyle(DASHED);
        }
        chart.getStyler().setLegendVisible(r.curves().size() <= 16);
        return chart;
    }
}
