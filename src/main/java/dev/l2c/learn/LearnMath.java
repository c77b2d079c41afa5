package dev.l2c.learn;

/** The small vector numerics of the learner, in double accumulation over float vectors. */
final class LearnMath {
    private LearnMath() {
    }

    /** The blend graph's reuse mask: 1 where the layer reuses its cached value. */
    static float[] mask(boolean[] reused) {
        float[] m = new float[reused.length];
        for (int j = 0; j < reused.length; j++) {
            m[j] = reused[j] ? 1f : 0f;
        }
        return m;
    }

    static int count(boolean[] s) {
        int c = 0;
        for (boolean b : s) {
            c += b ? 1 : 0;
        }
        return c;
    }

    static float[] difference(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    static double sumSquares(float[] a) {
        return dot(a, a);
    }

    static double mse(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s / a.length;
    }

    /** The symmetric matrix of the vectors' dot products, divided by {@code n}. */
    static double[][] gram(float[][] vectors, double n) {
        int l = vectors.length;
        double[][] g = new double[l][l];
        for (int i = 0; i < l; i++) {
            for (int j = 0; j <= i; j++) {
                double d = dot(vectors[i], vectors[j]) / n;
                g[i][j] = d;
                g[j][i] = d;
            }
        }
        return g;
    }
}
