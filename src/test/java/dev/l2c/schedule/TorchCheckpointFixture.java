package dev.l2c.schedule;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds small PyTorch-style zip checkpoints byte by byte, so that tests can feed the reader
 * exactly the pickle opcodes they mean (including hostile ones) without Python.
 */
final class TorchCheckpointFixture {
    private TorchCheckpointFixture() {
    }

    /** Emits pickle opcodes (protocol 2 unless a test writes PROTO 4 itself). */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle raw(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Pickle proto(int version) {
            return raw(0x80, version);
        }

        Pickle global(String module, String name) {
            out.writeBytes(("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            raw('X');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
            out.writeBytes(b);
            return this;
        }

        Pickle integer(int i) {
            raw('J');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array());
            return this;
        }

        /** An integer of any size: BININT when it fits, else LONG1 (8 little-endian bytes). */
        Pickle integer(long i) {
            if (i >= Integer.MIN_VALUE && i <= Integer.MAX_VALUE) {
                return integer((int) i);
            }
            raw(0x8a);
            out.write(8);
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(i).array());
            return this;
        }

        Pickle mark() {
            return raw('(');
        }

        Pickle tuple() {
            return raw('t');
        }

        Pickle emptyTuple() {
            return raw(')');
        }

        Pickle emptyDict() {
            return raw('}');
        }

        Pickle setitems() {
            return raw('u');
        }

        Pickle reduce() {
            return raw('R');
        }

        Pickle binpersid() {
            return raw('Q');
        }

        Pickle newFalse() {
            return raw(0x89);
        }

        Pickle stop() {
            return raw('.');
        }

        /** An empty OrderedDict on the stack. */
        Pickle orderedDict() {
            return global("collections", "OrderedDict").emptyTuple().reduce();
        }

        /** A 1-D tensor of {@code size} elements in storage {@code key} of class {@code torch.<storage>}. */
        Pickle tensor(String storage, String key, int size) {
            return tensor(storage, key, size, 0);
        }

        /** A tensor of {@code size} floats at element offset {@code offset} of its storage. */
        Pickle tensor(String storage, String key, int size, long offset) {
            global("torch._utils", "_rebuild_tensor_v2");
            mark();
            mark().string("storage").global("torch", storage).string(key).string("cpu").integer(size).tuple().binpersid();
            integer(offset);
            mark().integer(size).tuple();
            mark().integer(1).tuple();
            newFalse();
            orderedDict();
            tuple();
            return reduce();
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** The pickle of a U-ViT-style state dict {@code OrderedDict("i.prob": float32[width])}, storage key i. */
    static byte[] routerStateDict(int routers, int width) {
        return routerStateDict(routers, width, 0);
    }

    /** As {@link #routerStateDict(int, int)}, every tensor at element offset {@code offset} of its storage. */
    static byte[] routerStateDict(int routers, int width, long offset) {
        Pickle p = new Pickle().proto(2).orderedDict().mark();
        for (int i = 0; i < routers; i++) {
            p.string(i + ".prob").tensor("FloatStorage", Integer.toString(i), width, offset);
        }
        return p.setitems().stop().bytes();
    }

    /**
     * The pickle of a DiT-style training checkpoint {@code {"routers": OrderedDict(...), "args":
     * argparse.Namespace(num_sampling_steps=routers)}}, with the Namespace state set by BUILD as
     * torch.save writes it.
     */
    static byte[] ditCheckpoint(int routers, int width) {
        Pickle p = new Pickle().proto(2).emptyDict().mark().string("routers").orderedDict().mark();
        for (int i = 0; i < routers; i++) {
            p.string(i + ".prob").tensor("FloatStorage", Integer.toString(i), width);
        }
        p.setitems();
        p.string("args").global("argparse", "Namespace").emptyTuple().raw(0x81)
                .emptyDict().mark().string("num_sampling_steps").integer(routers).setitems().raw('b');
        return p.setitems().stop().bytes();
    }

    /** Little-endian float32 bytes. */
    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** Writes a checkpoint zip: {@code archive/data.pkl}, {@code archive/byteorder} and the given storages. */
    static Path checkpoint(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pickle);
        entries.put("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        storages.forEach((key, bytes) -> entries.put("archive/data/" + key, bytes));
        return zip(file, entries);
    }

    static Path zip(Path file, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }
}
