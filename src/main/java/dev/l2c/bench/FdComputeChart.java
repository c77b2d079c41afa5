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
 *
 * <p>The same chart draws the FD change against the full schedule ({@link #writeChange}): there each
 * interval is the paired one (same noise and labels in every configuration), which is narrower than
 * the two FDs' own intervals and is what decides whether a point is within 2 %.
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
        write(file, title, "FD to the test set (95 % interval)", points,
                Double.isFinite(fullFd) ? 1.02 * fullFd : Double.NaN, "full + 2 %");
    }

    /**
     * Writes the chart of FD changes: each point's {@code fd} is its FD's excess over the full
     * schedule's in percent, with the paired interval; the full schedule sits at 0.
     */
    public static void writeChange(Path file, String title, List<Point> points) throws OutputException {
        write(file, title, "FD above the full schedule's (%, paired 95 % interval)", points, 2, "+2 %");
    }

    private static void write(Path file, String title, String yLabel, List<Point> points, double goal, String goalLabel)
            throws OutputException {
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
        NumberAxis y = new NumberAxis(yLabel);
        x.setAutoRangeIncludesZero(true);
        y.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        plot.setRangeGridlinePaint(new Color(0xDD, 0xDD, 0xDD));
        if (Double.isFinite(goal)) {
            ValueMarker marker = new ValueMarker(goal, new Color(0x88, 0x88, 0x88),
                    new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f));
            marker.setLabel(goalLabel);
            marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
            marker.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
            plot.addRangeMarker(marker);
        }
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 13), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        AtomicOutput.writeFile(file, out -> ChartUtils.writeChartAsPNG(out, chart, 900, 560));
    }
}
