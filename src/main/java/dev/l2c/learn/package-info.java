/**
 * Learning a schedule for a model: calibrate with the full sampler, measure each layer's error when
 * reused, allocate the budget (knapsack or L2C's router objective) and refine, then write the schedule
 * with a report.
 */
package dev.l2c.learn;
