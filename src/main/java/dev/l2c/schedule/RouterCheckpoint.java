package dev.l2c.schedule;

import dev.l2c.error.InvalidInputException;
import dev.l2c.io.Sha256;
import dev.l2c.schedule.CheckpointUnpickler.TensorRef;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A published L2C router: for each router index i, one logit per cacheable layer ("i.prob"); a
 * layer is computed when sigmoid(logit) exceeds a threshold. {@link RouterSchedules} turns it into
 * a {@link Schedule}.
 *
 * <p>The file is a PyTorch zip checkpoint ({@code torch.save}): {@code <prefix>/data.pkl} is a
 * pickle of the saved object, and each tensor's bytes are the entry {@code <prefix>/data/<key>}
 * (little-endian, as {@code <prefix>/byteorder} says). The pickle is read as data only (see
 * {@link CheckpointUnpickler}): no Python is run and no unknown class is instantiated. Two layouts
 * exist, see {@link Layout}. Only the router tensors' bytes are read; the optimizer state that DiT
 * files carry is parsed as structure and otherwise ignored.
 *
 * <p>Immutable; {@link #logits(int)} returns copies.
 */
public final class RouterCheckpoint {

    /** How the routers sit in the saved object. */
    public enum Layout {
        /**
         * The DiT training checkpoint: {@code {"routers": OrderedDict("i.prob": float32[L]), "opt": optimizer
         * state, "args": argparse.Namespace}}, one router per DDIM step.
         */
        DIT_TRAINING_CHECKPOINT,
        /** The U-ViT state dict: directly {@code OrderedDict("i.prob": float32[L])}. */
        UVIT_STATE_DICT
    }

    private static final Pattern ROUTER_KEY = Pattern.compile("(0|[1-9][0-9]{0,5})\\.prob");
    private static final long MAX_ENTRY_BYTES = 64L << 20;

    private final Path file;
    private final String sha256;
    private final Layout layout;
    private final float[][] logits;

    private RouterCheckpoint(Path file, String sha256, Layout layout, float[][] logits) {
        this.file = file;
        this.sha256 = sha256;
        this.layout = layout;
        this.logits = logits;
    }

    /**
     * Reads a router checkpoint.
     *
     * @throws InvalidInputException when the file is missing, not a PyTorch zip checkpoint, truncated,
     *                               names code to run, or does not hold float32 routers "0.prob".."N-1.prob"
     *                               of one width
     */
    public static RouterCheckpoint read(Path file) throws InvalidInputException {
        String sha256 = sha256(file);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(zip, file);
            ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
            if (byteorder != null) {
                String order = new String(entryBytes(zip, byteorder, file), StandardCharsets.US_ASCII).trim();
                if (!order.equals("little")) {
                    throw new InvalidInputException(file, "the checkpoint was saved " + order
                            + "-endian; only little-endian checkpoints are read (re-save it on a little-endian machine)");
                }
            }
            byte[] pickle = entryBytes(zip, zip.getEntry(prefix + "data.pkl"), file);
            Object root;
            try {
                root = new CheckpointUnpickler().read(pickle);
            } catch (CheckpointUnpickler.RefusedPickleException e) {
                throw new InvalidInputException(file, "data.pkl " + e.getMessage(), e);
            } catch (IOException | RuntimeException e) {
                // Razorvine signals malformed pickles with assorted runtime exceptions; all of them mean bad input here.
                throw new InvalidInputException(file, "data.pkl is not a pickle this reader understands: " + e.getMessage(), e);
            }
            Layout layout;
            Map<?, ?> routers;
            if (root instanceof Map<?, ?> top && top.containsKey("routers")) {
                layout = Layout.DIT_TRAINING_CHECKPOINT;
                if (!(top.get("routers") instanceof Map<?, ?> r)) {
                    throw new InvalidInputException(file, "\"routers\" is not a dict of router tensors");
                }
                routers = r;
            } else if (root instanceof Map<?, ?> top) {
                layout = Layout.UVIT_STATE_DICT;
                routers = top;
            } else {
                throw new InvalidInputException(file, "the checkpoint holds " + describe(root)
                        + ", not a dict of routers (\"0.prob\", \"1.prob\", ...) or {\"routers\": ...}");
            }
            float[][] logits = readRouters(zip, prefix, routers, file);
            return new RouterCheckpoint(file, sha256, layout, logits);
        } catch (ZipException e) {
            throw new InvalidInputException(file, "not a PyTorch zip checkpoint (" + e.getMessage()
                    + "); the file is truncated or not a torch.save file", e);
        } catch (IllegalArgumentException e) {
            // java.util.zip decodes entry names lazily and reports a name that is not UTF-8 this way
            throw new InvalidInputException(file, "not a PyTorch zip checkpoint (an entry name is not valid UTF-8); "
                    + "the file is damaged or not a torch.save file", e);
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read the router checkpoint: " + e, e);
        }
    }

    /** Number of routers i ("0.prob".."N-1.prob"). */
    public int count() {
        return logits.length;
    }

    /** Logits per router: the model's cacheable layer count L. */
    public int width() {
        return logits[0].length;
    }

    /** A copy of router {@code i}'s logits, one per layer. */
    public float[] logits(int i) {
        return logits[i].clone();
    }

    public Layout layout() {
        return layout;
    }

    /** SHA-256 of the file, lower-case hex. */
    public String sha256() {
        return sha256;
    }

    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "RouterCheckpoint[" + file.getFileName() + ", " + layout + ", " + count() + " x " + width() + "]";
    }

    /** The routers in key order 0..N-1, each read from its storage entry. */
    private static float[][] readRouters(ZipFile zip, String prefix, Map<?, ?> routers, Path file)
            throws InvalidInputException, IOException {
        TreeMap<Integer, TensorRef> byIndex = new TreeMap<>();
        for (Map.Entry<?, ?> e : routers.entrySet()) {
            Matcher m = e.getKey() instanceof String k ? ROUTER_KEY.matcher(k) : null;
            if (m == null || !m.matches()) {
                throw new InvalidInputException(file, "unexpected entry " + quote(e.getKey())
                        + " among the routers; expected keys \"0.prob\", \"1.prob\", ...");
            }
            if (!(e.getValue() instanceof TensorRef t)) {
                throw new InvalidInputException(file, quote(e.getKey()) + " is " + describe(e.getValue()) + ", not a tensor");
            }
            byIndex.put(Integer.parseInt(m.group(1)), t);
        }
        if (byIndex.isEmpty()) {
            throw new InvalidInputException(file, "the checkpoint holds no routers (no \"0.prob\" entry)");
        }
        if (byIndex.lastKey() != byIndex.size() - 1) {
            throw new InvalidInputException(file, "router keys are not 0.." + (byIndex.size() - 1)
                    + ": found up to \"" + byIndex.lastKey() + ".prob\" among " + byIndex.size() + " routers");
        }
        float[][] out = new float[byIndex.size()][];
        for (Map.Entry<Integer, TensorRef> e : byIndex.entrySet()) {
            String name = "\"" + e.getKey() + ".prob\"";
            TensorRef t = e.getValue();
            if (!t.storage().type().dtype().equals("float32") || t.shape().length != 1 || !t.contiguous()) {
                throw new InvalidInputException(file, name + " is a " + t + " tensor; a router is a contiguous float32[layers] vector");
            }
            int width = (int) Math.min(t.shape()[0], Integer.MAX_VALUE);
            if (width < 1 || (e.getKey() > 0 && width != out[0].length)) {
                throw new InvalidInputException(file, name + " has " + width + " logits but \"0.prob\" has "
                        + (e.getKey() > 0 ? out[0].length : width) + "; every router covers the same layers");
            }
            String entryName = prefix + "data/" + t.storage().key();
            ZipEntry entry = zip.getEntry(entryName);
            if (entry == null) {
                throw new InvalidInputException(file, "the storage of " + name + " (" + entryName
                        + ") is missing; the checkpoint is incomplete");
            }
            byte[] bytes = entryBytes(zip, entry, file);
            if (t.offset() < 0 || t.offset() > bytes.length / 4 - width) {
                throw new InvalidInputException(file, "the storage of " + name + " (" + entryName + ") has " + bytes.length
                        + " bytes, but the tensor is " + width + " floats from float offset " + t.offset()
                        + ", which does not fit; the checkpoint is damaged");
            }
            float[] v = new float[width];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).position((int) (t.offset() * 4)).asFloatBuffer().get(v);
            out[e.getKey()] = v;
        }
        return out;
    }

    /** The single {@code <prefix>/} that holds {@code data.pkl}, with its slash. */
    private static String archivePrefix(ZipFile zip, Path file) throws InvalidInputException {
        List<String> found = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            String name = en.nextElement().getName();
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                found.add(name.substring(0, slash + 1));
            }
        }
        if (found.size() != 1) {
            throw new InvalidInputException(file, found.isEmpty()
                    ? "the zip has no <name>/data.pkl, so it is not a torch.save checkpoint"
                    : "the zip has " + found.size() + " data.pkl entries " + found + "; expected one");
        }
        return found.get(0);
    }

    /** An entry's bytes; router checkpoints are small, so anything past {@link #MAX_ENTRY_BYTES} is refused. */
    private static byte[] entryBytes(ZipFile zip, ZipEntry entry, Path file) throws IOException, InvalidInputException {
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readNBytes((int) MAX_ENTRY_BYTES);
            if (in.read() >= 0) {
                throw new InvalidInputException(file, entry.getName() + " is larger than a router checkpoint holds ("
                        + MAX_ENTRY_BYTES + " bytes)");
            }
            return bytes;
        }
    }

    private static String sha256(Path file) throws InvalidInputException {
        try {
            return Sha256.of(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, "no such router checkpoint");
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read the router checkpoint: " + e, e);
        }
    }

    /** A pickled key as Python would print it: a string quoted, a tuple in parentheses (not Java's array name). */
    static String quote(Object key) {
        if (key instanceof String s) {
            return "\"" + s + "\"";
        }
        if (key instanceof Object[] tuple) {
            StringBuilder b = new StringBuilder("(");
            for (int i = 0; i < tuple.length; i++) {
                b.append(i > 0 ? ", " : "").append(quote(tuple[i]));
            }
            return b.append(tuple.length == 1 ? ",)" : ")").toString();
        }
        return key == null ? "None" : String.valueOf(key);
    }

    private static String describe(Object o) {
        return o == null ? "None" : o instanceof TensorRef t ? "a " + t + " tensor" : "a " + o.getClass().getSimpleName();
    }
}
