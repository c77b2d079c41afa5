package dev.l2c.bench;

import java.util.Arrays;

/** Small robust statistics for timings. */
public final class Stats {
    private Stats() {
    }

    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    public static double median(long[] nanos, boolean[] select) {
        double[] picked = new double[nanos.length];
        int k = 0;
        for (int i = 0; i < nanos.length; i++) {
            if (select[i]) {
                picked[k++] = nanos[i] / 1e6;
            }
        }
        return median(Arrays.copyOf(picked, k));
    }
}
