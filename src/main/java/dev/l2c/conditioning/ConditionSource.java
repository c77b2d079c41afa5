package dev.l2c.conditioning;

import dev.l2c.error.L2cException;

/**
 * Where the conditions of a run's images come from, image by image: image i's class label or prompt
 * embeddings, and the unconditional half guidance pairs it with. Batched runs ask for one batch at a
 * time, so a source may encode lazily.
 */
public interface ConditionSource {

    /** The conditions of images {@code first} … {@code first + count − 1}. */
    Conditions conditions(long first, int count) throws L2cException;

    /** Their unconditional half under guidance, or null for the card's own null condition. */
    default Conditions unconditional(long first, int count) throws L2cException {
        return null;
    }

    /** One line for reports: how images are conditioned ("class-balanced labels (i mod 10)"). */
    String description();

    /** Image i has class label i mod {@code classes}: each class equally often. */
    static ConditionSource balancedLabels(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("need classes >= 1, not " + classes);
        }
        return labels(i -> i % classes, "class-balanced (i mod " + classes + ")");
    }

    /** Image i has class label {@code rule(i)}. */
    static ConditionSource labels(java.util.function.LongUnaryOperator rule, String description) {
        return new ConditionSource() {
            @Override
            public Conditions conditions(long first, int count) {
                long[] y = new long[count];
                for (int i = 0; i < count; i++) {
                    y[i] = rule.applyAsLong(first + i);
                }
                return Conditions.labels(y);
            }

            @Override
            public String description() {
                return description;
            }
        };
    }

    /** The same conditions for every image ({@code one} holds one sample's), with {@code unconditional} (or null). */
    static ConditionSource constant(Conditions one, Conditions unconditional, String description) {
        if (one.batch() != 1 || (unconditional != null && unconditional.batch() != 1)) {
            throw new IllegalArgumentException("a constant source holds one sample's conditions");
        }
        return new ConditionSource() {
            @Override
            public Conditions conditions(long first, int count) {
                return one.cycle(count);
            }

            @Override
            public Conditions unconditional(long first, int count) {
                return unconditional == null ? null : unconditional.cycle(count);
            }

            @Override
            public String description() {
                return description;
            }
        };
    }

    /** Image i gets condition i mod {@code all.batch()} of {@code all}, with the matching unconditional one (or null). */
    static ConditionSource cycling(Conditions all, Conditions unconditional, String description) {
        return new ConditionSource() {
            @Override
            public Conditions conditions(long first, int count) {
                return pick(all, first, count);
            }

            @Override
            public Conditions unconditional(long first, int count) {
                return unconditional == null ? null : pick(unconditional, first, count);
            }

            @Override
            public String description() {
                return description;
            }
        };
    }

    /** {@code base}'s conditions, guided against {@code unconditional}: image i gets its row i mod its batch. */
    static ConditionSource withUnconditional(ConditionSource base, Conditions unconditional) {
        return new ConditionSource() {
            @Override
            public Conditions conditions(long first, int count) throws L2cException {
                return base.conditions(first, count);
            }

            @Override
            public Conditions unconditional(long first, int count) {
                return pick(unconditional, first, count);
            }

            @Override
            public String description() {
                return base.description();
            }
        };
    }

    private static Conditions pick(Conditions all, long first, int count) {
        Conditions out = all.slice(0, 0);
        for (int i = 0; i < count; i++) {
            out = out.concat(all.slice((int) ((first + i) % all.batch()), 1));
        }
        return out;
    }
}
