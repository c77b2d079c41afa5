package dev.l2c.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.l2c.ir.Model;
import dev.l2c.ir.serde.OnnxWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Runs models under ONNX Runtime in tests: "run before and after a rewrite, compare numbers". */
public final class OrtTesting {
    private OrtTesting() {
    }

    public static Path write(Model model, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            OnnxWriter.write(model, OnnxWriter.TensorPlacement.EMBED_ALL, out);
        }
        return file;
    }

    /** Runs the model file on the given inputs and returns every output as floats, by name. */
    public static Map<String, float[]> run(Path model, Map<String, Object> inputs) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             OrtSession s = env.createSession(model.toString(), so)) {
            Map<String, OnnxTensorLike> ins = new HashMap<>();
            try {
                for (Map.Entry<String, Object> e : inputs.entrySet()) {
                    ins.put(e.getKey(), toTensor(env, e.getValue()));
                }
                Map<String, float[]> out = new LinkedHashMap<>();
                try (OrtSession.Result r = s.run(ins)) {
                    r.forEach(e -> {
                        OnnxTensor t = (OnnxTensor) e.getValue();
                        FloatBuffer fb = t.getFloatBuffer();
                        float[] a = new float[fb.remaining()];
                        fb.get(a);
                        out.put(e.getKey(), a);
                    });
                }
                return out;
            } finally {
                for (OnnxTensorLike t : ins.values()) {
                    t.close();
                }
            }
        }
    }

    /** A float tensor input: the data and its shape. */
    public record Floats(float[] data, long... shape) {
    }

    /** An int64 tensor input. */
    public record Longs(long[] data, long... shape) {
    }

    private static OnnxTensor toTensor(OrtEnvironment env, Object v) throws OrtException {
        if (v instanceof Floats f) {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(f.data()), f.shape());
        }
        if (v instanceof Longs l) {
            return OnnxTensor.createTensor(env, LongBuffer.wrap(l.data()), l.shape());
        }
        throw new IllegalArgumentException("unsupported input " + v);
    }

    public static Floats randomFloats(long seed, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        Random r = new Random(seed);
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return new Floats(a, shape);
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
