package dev.l2c.sampler;

import dev.l2c.error.L2cException;

import java.util.Arrays;
import java.util.List;

/**
 * A deterministic sampler written out as data: every sampler l2c has (DDIM, DPM-Solver++ 2S and 2M)
 * is, per model evaluation k, a data prediction from the model's noise estimate followed by a linear
 * update. With z_0 = x_T (the initial noise):
 * <pre>
 *   ε_k  = the (guided) model output at input z_k and model time τ_k
 *   x̂0_k = clip((z_k − σ_k·ε_k) / α_k)                       clipped to the card's range, if clipping
 *   z_{k+1} = Σ_j a_{k,j}·z_j + Σ_j b_{k,j}·x̂0_j   over j ≤ k   (the evaluation's {@link Term}s)
 * </pre>
 * and the final sample is z_N. The samplers compute their coefficients once in double; this one
 * interpreter runs them ({@link #run}), the linked ONNX model computes the same formulas as graph
 * operations, and the package manifest writes them out so that any runtime can run a package without
 * knowing the sampler's name.
 *
 * <p>Precision here: each element of x̂0 and z_{k+1} is computed in double; z is stored as float32
 * (what the model sees), x̂0 in double.
 *
 * @param sampler     the sampler's name ("ddim", "dpm2s", "dpm2m")
 * @param evaluations one entry per model evaluation, in order
 * @param clip        the range x̂0 is clipped to, or null for no clipping
 */
public record SamplingPlan(String sampler, List<Evaluation> evaluations, ClipRange clip) {

    /** What a term of the update multiplies: an earlier model input z_j, or an earlier data prediction x̂0_j. */
    public enum Source {
        INPUT("input"), X0("x0");

        /** The name the package manifest uses. */
        public final String jsonName;

        Source(String jsonName) {
            this.jsonName = jsonName;
        }
    }

    /** {@code coefficient · (z_evaluation or x̂0_evaluation)}. */
    public record Term(Source source, int evaluation, double coefficient) {
    }

    /**
     * One model evaluation.
     *
     * @param modelTime the model's timestep input (fractional for DPM-Solver's intermediate points)
     * @param alpha     α of the data prediction x̂0 = (z − σ·ε)/α
     * @param sigma     σ of the data prediction
     * @param next      the terms of z_{k+1}, the next model input (or the final sample after the last)
     */
    public record Evaluation(double modelTime, double alpha, double sigma, List<Term> next) {
        public Evaluation {
            next = List.copyOf(next);
        }
    }

    public SamplingPlan {
        evaluations = List.copyOf(evaluations);
        for (int k = 0; k < evaluations.size(); k++) {
            for (Term t : evaluations.get(k).next()) {
                if (t.evaluation() < 0 || t.evaluation() > k) {
                    throw new IllegalArgumentException("evaluation " + k + " of " + sampler + " reads "
                            + t.source().jsonName + " of evaluation " + t.evaluation() + ", which is not at or before it");
                }
            }
        }
    }

    public int size() {
        return evaluations.size();
    }

    public Evaluation evaluation(int k) {
        return evaluations.get(k);
    }

    /** The model time of every evaluation, in order. */
    public double[] modelTimes() {
        return evaluations.stream().mapToDouble(Evaluation::modelTime).toArray();
    }

    /**
     * The last evaluation whose update reads {@code source} of evaluation {@code j}, or -1 when none
     * does. A runner may free z_j (or x̂0_j) once that evaluation has run.
     */
    public int lastReader(Source source, int j) {
        int last = -1;
        for (int k = j; k < evaluations.size(); k++) {
            for (Term t : evaluations.get(k).next()) {
                if (t.source() == source && t.evaluation() == j) {
                    last = k;
                }
            }
        }
        return last;
    }

    /**
     * Runs the plan from the initial noise {@code xT} (not modified) and returns the final sample.
     *
     * @throws L2cException whatever the model throws, unchanged
     * @throws IllegalStateException if the model returns ε of the wrong length (a broken predictor)
     */
    public float[] run(float[] xT, NoisePredictor model, StepObserver observer) throws L2cException {
        int n = evaluations.size();
        float[][] inputs = new float[n + 1][];
        double[][] x0 = new double[n][];
        int[] inputLastRead = new int[n];
        int[] x0LastRead = new int[n];
        for (int j = 0; j < n; j++) {
            inputLastRead[j] = lastReader(Source.INPUT, j);
            x0LastRead[j] = lastReader(Source.X0, j);
        }
        inputs[0] = xT.clone();
        for (int k = 0; k < n; k++) {
            Evaluation e = evaluations.get(k);
            float[] z = inputs[k];
            float[] eps = model.predictNoise(k, z, e.modelTime());
            Samplers.checkNoiseLength(eps, z, k);
            observer.evaluated(k, n);
            double[] pred = new double[z.length];
            for (int i = 0; i < z.length; i++) {
                double v = (z[i] - e.sigma() * eps[i]) / e.alpha();
                pred[i] = clip == null ? v : clip.clip(v);
            }
            x0[k] = pred;
            float[] next = new float[z.length];
            for (int i = 0; i < next.length; i++) {
                double sum = 0.0;
                for (Term t : e.next()) {
                    sum += t.coefficient() * (t.source() == Source.INPUT ? inputs[t.evaluation()][i] : x0[t.evaluation()][i]);
                }
                next[i] = (float) sum;
            }
            inputs[k + 1] = next;
            // what no later update reads is dropped, so a long run holds only the values it still needs
            for (int j = 0; j <= k; j++) {
                if (Math.max(j, inputLastRead[j]) == k) {
                    inputs[j] = null;
                }
                if (Math.max(j, x0LastRead[j]) == k) {
                    x0[j] = null;
                }
            }
        }
        return inputs[n];
    }

    @Override
    public String toString() {
        return sampler + "[nfe=" + evaluations.size() + ", clip=" + clip + ", times="
                + Arrays.toString(Arrays.stream(modelTimes()).limit(4).toArray()) + "...]";
    }
}
