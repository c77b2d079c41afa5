package dev.l2c.spark;

import java.io.Serializable;

/**
 * What one task did, sent to the driver through an accumulator when its partition is done: which
 * executor (and host) ran it, how many images it made, how many rows were errors, and its time inside
 * the sampling calls (waiting for the executor's sessions included). Spark applies a finished task's
 * accumulator updates once, so a retried task is not counted twice.
 */
record ExecutorTally(String executor, String host, long images, long errors, long samplingNanos)
        implements Serializable {

    ExecutorTally plus(ExecutorTally other) {
        return new ExecutorTally(executor, host, images + other.images, errors + other.errors,
                samplingNanos + other.samplingNanos);
    }
}
