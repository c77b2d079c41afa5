package dev.l2c.runtime;

import ai.onnxruntime.OrtException;

import java.util.HashMap;
import java.util.Map;

/**
 * Tensors an executor makes once per batch size, on first use, and reuses for every run of that
 * batch size (the last batch of a job is often smaller); closed together with the executor.
 */
final class PerBatch<T extends PerBatch.Resource> implements AutoCloseable {

    /** Something that holds ONNX Runtime tensors and closes without failing. */
    interface Resource extends AutoCloseable {
        @Override
        void close();
    }

    /** Makes the resource for one batch size. */
    @FunctionalInterface
    interface Factory<T> {
        T make(int batch) throws OrtException;
    }

    private final Factory<T> factory;
    private final Map<Integer, T> byBatch = new HashMap<>();

    PerBatch(Factory<T> factory) {
        this.factory = factory;
    }

    T get(int batch) throws OrtException {
        T t = byBatch.get(batch);
        if (t == null) {
            t = factory.make(batch);
            byBatch.put(batch, t);
        }
        return t;
    }

    @Override
    public void close() {
        byBatch.values().forEach(Resource::close);
        byBatch.clear();
    }
}
