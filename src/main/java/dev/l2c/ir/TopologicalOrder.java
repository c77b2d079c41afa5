package dev.l2c.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.IntFunction;

/**
 * A topological order of items 0..n−1 (Kahn's algorithm), stable: whenever several items are
 * ready, the one with the smallest index comes first, so an already sorted list stays as it is and
 * the order never depends on hashing. The one sort behind {@link Graph#topologicalOrder()} and the
 * ONNX reader (which sorts protobuf nodes before any IR node exists).
 *
 * @param order   the items in order; shorter than n when there is a cycle
 * @param blocked the smallest index that never became ready (on or behind a cycle), or −1
 */
public record TopologicalOrder(int[] order, int blocked) {

    /**
     * Sorts {@code size} items; {@code predecessors.apply(i)} lists the items i must follow
     * (repeats allowed, each counted once per listing on both ends).
     */
    public static TopologicalOrder of(int size, IntFunction<int[]> predecessors) {
        int[] pending = new int[size];
        List<List<Integer>> successors = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            successors.add(new ArrayList<>(2));
        }
        for (int i = 0; i < size; i++) {
            for (int p : predecessors.apply(i)) {
                pending[i]++;
                successors.get(p).add(i);
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < size; i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        int[] order = new int[size];
        int placed = 0;
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order[placed++] = i;
            for (int s : successors.get(i)) {
                if (--pending[s] == 0) {
                    ready.add(s);
                }
            }
        }
        int blocked = -1;
        for (int i = 0; i < size && placed < size; i++) {
            if (pending[i] > 0) {
                blocked = i;
                break;
            }
        }
        return new TopologicalOrder(placed == size ? order : Arrays.copyOf(order, placed), blocked);
    }

    /** Whether every item was placed (no cycle). */
    public boolean complete() {
        return blocked < 0;
    }
}
