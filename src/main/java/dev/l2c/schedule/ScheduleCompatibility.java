package dev.l2c.schedule;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.MismatchException;

import java.nio.file.Path;

/** Checks that a schedule fits the model and sampler it is about to drive, with the fix in the message. */
public final class ScheduleCompatibility {
    private ScheduleCompatibility() {
    }

    /**
     * Reads {@code scheduleFile} and checks that it fits; returns the schedule.
     *
     * @see #checkFits(Schedule, Path, int, int, String)
     */
    public static Schedule checkFits(Path scheduleFile, int modelLayers, int samplerEvaluations, String samplerPattern)
            throws InvalidInputException, MismatchException {
        Schedule schedule = ScheduleJson.read(scheduleFile);
        checkFits(schedule, scheduleFile, modelLayers, samplerEvaluations, samplerPattern);
        return schedule;
    }

    /**
     * Checks that {@code schedule} (read from {@code scheduleFile}, named in messages) has the model's
     * layer count, the sampler's pattern (a {@value Schedule#FREE} schedule fits any) and its number
     * of model evaluations.
     *
     * @param samplerPattern {@value Schedule#DIT_DDIM} or {@value Schedule#UVIT_DPM2S}
     */
    public static void checkFits(Schedule schedule, Path scheduleFile, int modelLayers, int samplerEvaluations,
                                 String samplerPattern) throws MismatchException {
        if (!Schedule.PATTERNS.contains(samplerPattern) || Schedule.FREE.equals(samplerPattern)) {
            throw new IllegalArgumentException("a sampler runs pattern " + Schedule.DIT_DDIM + " or " + Schedule.UVIT_DPM2S
                    + ", not " + samplerPattern);
        }
        if (schedule.layers() != modelLayers) {
            throw new MismatchException(scheduleFile, "schedule has " + schedule.layers() + " layers but the model has "
                    + modelLayers + " cacheable layers (inspect the model with `l2c inspect`); use a schedule made for this model");
        }
        if (!schedule.pattern().equals(Schedule.FREE) && !schedule.pattern().equals(samplerPattern)) {
            throw new MismatchException(scheduleFile, "schedule follows the " + schedule.pattern() + " step pattern ("
                    + describe(schedule.pattern()) + ") but the sampler follows " + samplerPattern + " (" + describe(samplerPattern)
                    + "); use --sampler " + samplers(schedule.pattern()) + ", or a schedule made for the " + samplerPattern
                    + " pattern");
        }
        if (schedule.nfe() != samplerEvaluations) {
            throw new MismatchException(scheduleFile, "schedule covers " + schedule.nfe() + " model evaluations but the sampler makes "
                    + samplerEvaluations + "; sample with " + steps(schedule.nfe(), samplerPattern)
                    + " or use a schedule made for " + samplerEvaluations + " evaluations");
        }
    }

    private static String describe(String pattern) {
        return switch (pattern) {
            case Schedule.DIT_DDIM -> "DDIM, one model evaluation per step";
            case Schedule.UVIT_DPM2S -> "DPM-Solver-2, two model evaluations per step";
            default -> "any sampler";
        };
    }

    /** The samplers (--sampler names) whose model evaluations follow {@code pattern}. */
    private static String samplers(String pattern) {
        return pattern.equals(Schedule.UVIT_DPM2S) ? "dpm2s" : "ddim or dpm2m";
    }

    private static String steps(int evaluations, String samplerPattern) {
        if (samplerPattern.equals(Schedule.UVIT_DPM2S)) {
            return evaluations % 2 == 0 ? evaluations / 2 + " DPM-Solver-2 steps" : evaluations + " evaluations";
        }
        return evaluations + " DDIM steps";
    }
}
