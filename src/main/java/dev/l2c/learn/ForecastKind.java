package dev.l2c.learn;

import dev.l2c.error.UsageException;

import java.util.Arrays;
import java.util.List;

/**
 * How a learned schedule forms the layers a step does not compute ({@code l2c learn --forecast}).
 * {@link #REUSE} is L2C's: the most recent value as it is, cache steps where the published routers
 * have them ({@link ScheduleLearner}). The others learn which evaluations refresh the layers
 * ({@link ForecastLearner}) and forecast in between: {@link #TAYLOR1} and {@link #TAYLOR2}
 * extrapolate a polynomial of degree 1 or 2 over the model time through the layer's last two or
 * three computed values; {@link #LEARNED} fits the weights by least squares in the calibration
 * rollout (L2P), per layer or per step (or chosen on held-out images), and keeps whichever of the
 * fits and the two polynomials brings the final samples closest to the full sampler's.
 */
public enum ForecastKind {
    REUSE("reuse", 0),
    TAYLOR1("taylor1", 1),
    TAYLOR2("taylor2", 2),
    LEARNED("learned", 2);

    /** The name on the command line and in provenance. */
    public final String id;
    /** The polynomial order of the fixed rule (LEARNED: of the rule it starts from and falls back to). */
    public final int order;

    ForecastKind(String id, int order) {
        this.id = id;
        this.order = order;
    }

    public static ForecastKind parse(String id) throws UsageException {
        for (ForecastKind k : values()) {
            if (k.id.equals(id)) {
                return k;
            }
        }
        throw new UsageException("--forecast must be one of " + String.join(", ", ids()) + ", not '" + id + "'");
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(k -> k.id).toList();
    }
}
