package dev.l2c.bench;

import dev.l2c.error.OutputException;
import dev.l2c.io.AtomicOutput;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * FD against the share of layer evaluations removed, each point with its 95 % bootstrap interval, one
 * line per method: the configurations on the fewer-steps curve (the full loop among them) form "fewer
 * steps"; the others are grouped by name without their budget suffix ({@code learned-r35} and
 * {@code learned-r40} are points of "learned"). A dashed line marks 2 % above the full schedule's FD,
 * the fidelity goal: a method's curve below it and below fewer steps is the one to use.
 */
public final class FdComputeChart {
    private static final Pattern BUDGET_SUFFIX = Pattern.compile("-(r|matched)\\d*$");
    private static final Color[] PALETTE = {new Color(0x44, 0x44, 0x44), new Color(0xD0, 0x40, 0x20),
            new Color(0x20, 0x70, 0xC0), new Color(0x30, 0x99, 0x40), new Color(0x99, 0x55, 0xBB),
            new Color(0xCC, 0x99, 0x00), new Color(0x00, 0x99, 0x99), new Color(0x88, 0x66, 0x44)};

    /** One configuration: its name, share of layer evaluations removed (0..1) and FD with its interval. */
    public record Point(String name, double removed, double fd, double low, double high, boolean fewerStepsCurve) {
    }

    private FdComputeChart() {
    }

    /** The method a configuration belongs to, as its line's legend says. */
    static String method(Point p) {
        return p.fewerStepsCurve() ? "fewer steps" : BUDGET_SUFFIX.matcher(p.name()).replaceFirst("");
    }

    /** Writes the chart; {@code fullFd} (NaN: none) is the full schedule's FD that the 2 % line is drawn from. */
    public static void write(Path file, String title, List<Point> points, double fullFd) throws OutputException {
        Map<String, YIntervalSeries> byMethod = new LinkedHashMap<>();
        byMethod.put("fewer steps", new YIntervalSeries("fewer steps", true, true));
        for (Point p : points) {
            if (Double.isFinite(p.fd())) {
                byMethod.computeIfAbsent(method(p), m -> new YIntervalSeries(m, true, true))
                        .add(100 * p.removed(), p.fd(), p.low(), p.high());
            }
        }
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        byMethod.values().stream().filter(s -> s.getItemCount() > 0).forEach(data::addSeries);
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setCapLength(6);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesLinesVisible(i, true);
            renderer.setSeriesShapesVisible(i, true);
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(i == 0 ? 2f : 1.5f));
        }
        NumberAxis x = new NumberAxis("layer evaluations removed (%)");
        NumberAxis y = new NumberAxis("FD to the test set (95 % interval)");
        x.setAutoRangeIncludesZero(true);
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        plot.setRangeGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        if (Double.isFinite(fullFd)) {
            ValueMarker goal = new ValueMarker(1.02 * fullFd, new Color(0x88, 0x88, 0x88),
                    new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f));
            goal.setLabel("full + 2 %");
            goal.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            goal.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            goal.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
            plot.addRangeMarker(goal);
        }
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 13), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        AtomicOutput.writeFile(file, out -> ChartUtils.writeChartAsPNG(out, chart, 900, 560));
    }
}
