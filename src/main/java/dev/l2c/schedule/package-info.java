/**
 * Cache schedules: the {@link dev.l2c.schedule.Schedule} value and its JSON file, schedules from
 * published L2C routers (PyTorch checkpoints read as data, never executed), the reference mask,
 * baselines, and the check that a schedule fits a model.
 */
package dev.l2c.schedule;
