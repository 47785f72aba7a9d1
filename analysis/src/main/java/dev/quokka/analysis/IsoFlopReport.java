package dev.quokka.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report of an IsoFLOP fit ({@link IsoFlop}): the profiles, loss against N per budget with each parabola and its
 * minimum (Quokka's Figure 2), and N_opt and D_opt against C with the fitted power laws; and report.html.
 */
public final class IsoFlopReport {
    private IsoFlopReport() {}

    public static Map<String, byte[]> files(String title, IsoFlop.Fit fit, List<FitPoint> points, double tolerance, String fitMarkdown) {
        List<Report.Figure> figures = List.of(
                new Report.Figure("isoflop-profiles.png", Report.png(profiles(fit, points, tolerance)),
                        "Loss against N at each FLOP budget: the runs, each budget's parabola in ln N, and its minimum (filled) where one was bracketed."),
                new Report.Figure("optimal-allocation.png", Report.png(allocation(fit)),
                        "N_opt and D_opt against C: each budget's minimum and the fitted power laws N_opt = k_N C^a, D_opt = k_D C^b."));
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Report.Figure f : figures) files.put(f.file(), f.png());
        files.put("report.html", Report.html(title, fitMarkdown, figures).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return files;
    }

    /**
     * The profiles alone, as a PNG: loss against N per budget with each parabola and any bracketed minimum. Drawn from
     * the points, so it shows what the runs did also where no allocation could be fitted.
     */
    public static byte[] profilesPng(List<FitPoint> points, double tolerance) {
        return Report.png(profiles(null, points, tolerance));
    }

    /** {@code fit} is not read: the profiles come from the points; it stays for the report's figures' signature. */
    static XYChart profiles(IsoFlop.Fit fit, List<FitPoint> points, double tolerance) {
        XYChart chart = new XYChartBuilder().width(Report.WIDTH).height(Report.HEIGHT).title("IsoFLOP profiles").xAxisTitle("N").yAxisTitle("loss").build();
        chart.getStyler().setXAxisLogarithmic(true);
        int k = 0;
        for (List<FitPoint> g : IsoFlop.groups(points, tolerance)) {
            java.awt.Color colour = Report.PALETTE[k++ % Report.PALETTE.length];
            String name = String.format("C = %.2g", IsoFlop.budget(g));
            XYSeries runs = chart.addSeries(name, g.stream().map(FitPoint::n).toList(), g.stream().map(FitPoint::loss).toList());
            runs.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            runs.setMarkerColor(colour);
            IsoFlop.Vertex v = IsoFlop.vertex(g);
            if (v.c() == null) continue;
            double lo = g.stream().mapToDouble(FitPoint::n).min().orElseThrow(), hi = g.stream().mapToDouble(FitPoint::n).max().orElseThrow();
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (double n : Synthetic.logSpace(lo, hi, 40)) {
                xs.add(n);
                ys.add(v.at(n));
            }
            XYSeries curve = chart.addSeries(name + " (parabola)", xs, ys);
            curve.setMarker(SeriesMarkers.NONE);
            curve.setLineColor(colour);
            if (v.reason() == null) {
                XYSeries min = chart.addSeries(name + " (minimum)", new double[] {v.n()}, new double[] {v.loss()});
                min.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                min.setMarker(SeriesMarkers.DIAMOND);
                min.setMarkerColor(colour);
            }
        }
        return chart;
    }

    static XYChart allocation(IsoFlop.Fit fit) {
        XYChart chart = new XYChartBuilder().width(Report.WIDTH).height(Report.HEIGHT).title("Compute-optimal N and D").xAxisTitle("C (FLOPs)")
                .yAxisTitle("N_opt, D_opt").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        List<Double> cs = fit.minima().stream().map(IsoFlop.Minimum::budget).toList();
        chart.addSeries("N_opt", cs, fit.minima().stream().map(IsoFlop.Minimum::nOpt).toList()).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.addSeries("D_opt", cs, fit.minima().stream().map(IsoFlop.Minimum::dOpt).toList()).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        double lo = cs.stream().mapToDouble(Double::doubleValue).min().orElseThrow() / 2, hi = cs.stream().mapToDouble(Double::doubleValue).max().orElseThrow() * 2;
        ComputeAllocation a = fit.allocation();
        chart.addSeries(String.format("%.3g C^%.3f", a.kN(), a.a()), new double[] {lo, hi}, new double[] {a.nOpt(lo), a.nOpt(hi)}).setMarker(SeriesMarkers.NONE);
        chart.addSeries(String.format("%.3g C^%.3f", a.kD(), a.b()), new double[] {lo, hi}, new double[] {a.dOpt(lo), a.dOpt(hi)}).setMarker(SeriesMarkers.NONE);
        return chart;
    }
}
