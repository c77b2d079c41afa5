package dev.l2c.bench;

import dev.l2c.error.OutputException;
import dev.l2c.io.AtomicOutput;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * The benchmark's picture: each configuration a labelled point at (median latency, quality), the
 * fewer-steps configurations joined by a line — the curve a cache schedule has to beat: below it (FD)
 * or above it (PSNR) means better quality for the time.
 */
public final class QualityLatencyChart {

    /** One point: a configuration's latency and quality, and whether it is on the fewer-steps curve. */
    public record Point(String name, double seconds, double quality, boolean fewerStepsCurve) {
    }

    private QualityLatencyChart() {
    }

    public static void write(Path file, String title, String qualityLabel, List<Point> points) throws OutputException {
        XYSeries curve = new XYSeries("fewer sampler steps", true, true);
        XYSeries others = new XYSeries("cache schedules", false, true);
        for (Point p : points) {
            if (!Double.isFinite(p.quality())) {
                continue;
            }
            if (p.fewerStepsCurve()) {
                curve.add(p.seconds(), p.quality());
            } else {
                others.add(p.seconds(), p.quality());
            }
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(curve);
        data.addSeries(others);
        NumberAxis x = new NumberAxis("median latency per run (s)");
        NumberAxis y = new NumberAxis(qualityLabel);
        x.setAutoRangeIncludesZero(false);
        x.setUpperMargin(0.18); // room for the labels of the rightmost points
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        renderer.setSeriesLinesVisible(0, true);
        renderer.setSeriesLinesVisible(1, false);
        renderer.setSeriesPaint(0, new Color(0x55, 0x55, 0x55));
        renderer.setSeriesPaint(1, new Color(0xD0, 0x40, 0x20));
        renderer.setSeriesStroke(0, new BasicStroke(1.5f));
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        plot.setRangeGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        points.stream().filter(p -> Double.isFinite(p.quality()))
                .sorted(Comparator.comparingDouble(Point::seconds))
                .forEach(p -> {
                    XYTextAnnotation a = new XYTextAnnotation(" " + p.name(), p.seconds(), p.quality());
                    a.setFont(font);
                    a.setTextAnchor(TextAnchor.BOTTOM_LEFT);
                    plot.addAnnotation(a);
                });
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 13), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        AtomicOutput.writeFile(file, out -> ChartUtils.writeChartAsPNG(out, chart, 900, 560));
    }
}
