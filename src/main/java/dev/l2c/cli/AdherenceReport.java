package dev.l2c.cli;

import dev.l2c.bench.Benchmark;
import dev.l2c.metrics.CaptionAdherence;

import java.util.List;
import java.util.Locale;

/**
 * The adherence table of {@code l2c bench --adherence N}: per configuration the class accuracy and
 * each attribute's hit and false-alarm rates, and the class accuracy's difference from the reference
 * with a paired 95 % interval (same noise and captions: per image, correct here minus correct there).
 */
final class AdherenceReport {
    private AdherenceReport() {
    }

    static String markdown(List<Benchmark.AdherenceResult> results, int referenceIndex) {
        CaptionAdherence.Scores ref = results.get(referenceIndex).scores();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n## Caption adherence (%d images per schedule, captions i mod 80)%n%n",
                ref.images()));
        b.append("| schedule | class acc. | Δ class vs ").append(results.get(referenceIndex).config())
                .append(" [95 % paired] | small hit / false | upside down hit / false | inverted hit / false |\n");
        b.append("|---|---:|---:|---:|---:|---:|\n");
        for (Benchmark.AdherenceResult r : results) {
            CaptionAdherence.Scores s = r.scores();
            double[] d = pairedDifference(s.classCorrect(), ref.classCorrect());
            b.append(String.format(Locale.ROOT, "| %s | %.1f %% | %+.1f [%+.1f, %+.1f] pts |", r.config(),
                    100 * s.classAccuracy(), 100 * d[0], 100 * d[1], 100 * d[2]));
            for (int a = 0; a < CaptionAdherence.ATTRIBUTES.size(); a++) {
                b.append(String.format(Locale.ROOT, " %.1f / %.1f %% |", 100 * s.hitRate(a), 100 * s.falseAlarmRate(a)));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** The same figures for results.json: one object per configuration. */
    static com.fasterxml.jackson.databind.node.ArrayNode json(List<Benchmark.AdherenceResult> results, int referenceIndex) {
        var array = new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode();
        CaptionAdherence.Scores ref = results.get(referenceIndex).scores();
        for (Benchmark.AdherenceResult r : results) {
            var o = array.addObject();
            CaptionAdherence.Scores s = r.scores();
            o.put("schedule", r.config());
            o.put("images", s.images());
            o.put("class_accuracy", s.classAccuracy());
            double[] d = pairedDifference(s.classCorrect(), ref.classCorrect());
            o.put("class_accuracy_vs_reference", d[0]);
            o.put("class_accuracy_vs_reference_low", d[1]);
            o.put("class_accuracy_vs_reference_high", d[2]);
            for (int a = 0; a < CaptionAdherence.ATTRIBUTES.size(); a++) {
                String key = CaptionAdherence.ATTRIBUTES.get(a).replace(' ', '_');
                o.put(key + "_hit_rate", s.hitRate(a));
                o.put(key + "_false_alarm_rate", s.falseAlarmRate(a));
            }
        }
        return array;
    }

    /** Mean of (a_i − b_i) and its normal 95 % interval. */
    static double[] pairedDifference(boolean[] a, boolean[] b) {
        int n = a.length;
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double d = (a[i] ? 1 : 0) - (b[i] ? 1 : 0);
            sum += d;
            sq += d * d;
        }
        double mean = sum / n;
        double var = n > 1 ? (sq - n * mean * mean) / (n - 1) : 0;
        double half = 1.96 * Math.sqrt(Math.max(var, 0) / n);
        return new double[]{mean, mean - half, mean + half};
    }
}
