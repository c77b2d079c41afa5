package dev.l2c.io;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.OutputException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes numpy's .npy format (versions 1.0, 2.0 and 3.0): a magic string, a version, a
 * header that is a Python dict literal ({@code {'descr': '<f4', 'fortran_order': False, 'shape': (4, 28),
 * }}), then the raw elements.
 *
 * <p>Reading accepts little-endian, C-order arrays of float32, float64 and the integer and boolean
 * types; integers and booleans are widened to int64 (see {@link DataKind}). Big-endian data, Fortran
 * order, object arrays (pickled Python objects, which we never unpickle) and structured dtypes are
 * refused with a one-line message naming the file. Writing produces version 1.0 files (2.0 only when
 * the header would not fit), with the header padded so the data starts on a 64-byte boundary as numpy
 * does, through {@link AtomicOutput}.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy itself refuses headers above 10 000 bytes by default; anything near this is damage. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    private static final int CHUNK_BYTES = 1 << 16;
    /** Elements allocated before any data is read; the arrays double from there as data arrives. */
    private static final int INITIAL_ELEMENTS = 1 << 20;
    private static final String SUPPORTED_DTYPES = "<f4, <f8, <i8, <i4, <i2, |i1, <u4, <u2, |u1, |b1";

    private Npy() {
    }

    /** Reads a .npy file; the file must hold exactly one array and nothing after it. */
    public static NdArray read(Path file) throws InvalidInputException {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(file, "is a folder, not a .npy file");
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), CHUNK_BYTES)) {
            Source source = new Source(file, "");
            NdArray array = read(in, source);
            if (in.read() != -1) {
                throw source.fail("has extra bytes after the array data; it is damaged or not a single .npy array");
            }
            return array;
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, "file not found", e);
        } catch (AccessDeniedException e) {
            throw new InvalidInputException(file, "cannot read: permission denied", e);
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read: " + AtomicOutput.describe(e), e);
        }
    }

    /**
     * Reads one .npy array from {@code in}, leaving the stream just after its data (numpy can append
     * several arrays to one stream). {@code nameForMessages} starts every error message.
     */
    public static NdArray read(InputStream in, String nameForMessages) throws InvalidInputException {
        Source source = new Source(null, nameForMessages + ": ");
        try {
            return read(in, source);
        } catch (IOException e) {
            throw source.fail("cannot read: " + AtomicOutput.describe(e), e);
        }
    }

    /** Reads an array that is an entry of an archive: messages name {@code file} and then {@code entry}. */
    static NdArray readEntry(InputStream in, Path file, String entry) throws InvalidInputException, IOException {
        return read(in, new Source(file, entry + ": "));
    }

    /** Writes float32 data of the given shape as {@code '<f4'}, atomically. */
    public static void writeFloats(Path file, float[] data, long... shape) throws OutputException {
        write(file, NdArray.ofFloats(data, shape));
    }

    /** Writes int64 data of the given shape as {@code '<i8'}, atomically. */
    public static void writeLongs(Path file, long[] data, long... shape) throws OutputException {
        write(file, NdArray.ofLongs(data, shape));
    }

    /** Writes float64 data of the given shape as {@code '<f8'}, atomically. */
    public static void writeDoubles(Path file, double[] data, long... shape) throws OutputException {
        write(file, NdArray.ofDoubles(data, shape));
    }

    /** Writes an array in its own kind, atomically (temp file beside {@code file}, then rename). */
    public static void write(Path file, NdArray array) throws OutputException {
        AtomicOutput.writeFile(file, out -> write(out, array));
    }

    /** Writes an array as .npy bytes to a stream (for archives); does not close it. */
    public static void write(OutputStream out, NdArray array) throws IOException {
        out.write(headerBytes(array.kind(), array.shape()));
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int count = array.elementCount();
        int perChunk = CHUNK_BYTES / 8;
        for (int offset = 0; offset < count; offset += perChunk) {
            int n = Math.min(perChunk, count - offset);
            int bytes;
            switch (array.kind()) {
                case FLOAT32 -> {
                    chunk.clear().asFloatBuffer().put(array.floats(), offset, n);
                    bytes = n * Float.BYTES;
                }
                case INT64 -> {
                    chunk.clear().asLongBuffer().put(array.longs(), offset, n);
                    bytes = n * Long.BYTES;
                }
                case FLOAT64 -> {
                    chunk.clear().asDoubleBuffer().put(array.doubles(), offset, n);
                    bytes = n * Double.BYTES;
                }
                default -> throw new IllegalStateException("unhandled kind " + array.kind());
            }
            out.write(chunk.array(), 0, bytes);
        }
    }

    /**
     * A float32 .npy file of a known shape written batch by batch (the samples of a long run), so the
     * whole array never has to be in memory. {@link #commit()} checks that exactly the announced number of
     * elements was written and renames the file into place; {@link #close()} without a commit deletes it.
     */
    public static final class FloatStreamWriter implements AutoCloseable {
        private final AtomicOutput.PendingFile file;
        private final long expected;
        private final ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        private FloatStreamWriter(AtomicOutput.PendingFile file, long expected) {
            this.file = file;
            this.expected = expected;
        }

        /** Appends {@code count} elements of {@code data} from {@code offset}. */
        public void append(float[] data, int offset, int count) throws OutputException {
            if (written + count > expected) {
                throw new IllegalStateException("more elements than the announced shape holds");
            }
            try {
                int perChunk = CHUNK_BYTES / Float.BYTES;
                for (int i = 0; i < count; i += perChunk) {
                    int n = Math.min(perChunk, count - i);
                    chunk.clear().asFloatBuffer().put(data, offset + i, n);
                    file.stream().write(chunk.array(), 0, n * Float.BYTES);
                }
            } catch (IOException e) {
                throw new OutputException(file.target(), "cannot write: " + AtomicOutput.describe(e), e);
            }
            written += count;
        }

        public void commit() throws OutputException {
            if (written != expected) {
                throw new IllegalStateException("wrote " + written + " of " + expected + " elements");
            }
            file.commit();
        }

        @Override
        public void close() {
            file.close();
        }
    }

    /** Starts a float32 .npy file of {@code shape} at {@code file}, to be filled in batches. */
    public static FloatStreamWriter streamFloats(Path file, long... shape) throws OutputException {
        AtomicOutput.PendingFile pending = AtomicOutput.pending(file);
        try {
            pending.stream().write(headerBytes(DataKind.FLOAT32, shape));
        } catch (IOException e) {
            pending.close();
            throw new OutputException(file, "cannot write: " + AtomicOutput.describe(e), e);
        }
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return new FloatStreamWriter(pending, n);
    }

    /** Magic, version, header length and the padded header dict, as numpy writes them. */
    static byte[] headerBytes(DataKind kind, long[] shape) {
        String dict = "{'descr': '" + kind.npyDescr + "', 'fortran_order': False, 'shape': "
                + NdArray.formatShape(shape) + ", }";
        // numpy aligns the data to 64 bytes and ends the header with a newline. Version 1.0 stores the
        // header length in 2 bytes; only a shape with thousands of dimensions needs 2.0's 4 bytes.
        int major = 1;
        int prefix = MAGIC.length + 2 + 2;
        int padded = roundUpTo64(prefix + dict.length() + 1);
        if (padded - prefix > 0xFFFF) {
            major = 2;
            prefix = MAGIC.length + 2 + 4;
            padded = roundUpTo64(prefix + dict.length() + 1);
        }
        int headerLength = padded - prefix;
        ByteBuffer buf = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            buf.putShort((short) headerLength);
        } else {
            buf.putInt(headerLength);
        }
        buf.put(dict.getBytes(StandardCharsets.ISO_8859_1));
        while (buf.position() < padded - 1) {
            buf.put((byte) ' ');
        }
        buf.put((byte) '\n');
        return buf.array();
    }

    private static int roundUpTo64(int n) {
        return (n + 63) / 64 * 64;
    }

    private static NdArray read(InputStream in, Source source) throws InvalidInputException, IOException {
        byte[] magic = in.readNBytes(MAGIC.length);
        if (magic.length < MAGIC.length) {
            throw source.fail("too short to be a .npy file (" + magic.length + " bytes)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) {
                if (magic[0] == 'P' && magic[1] == 'K') {
                    throw source.fail("is a zip archive (.npz?), not a single .npy array; read it as .npz");
                }
                throw source.fail("not a .npy file: it does not start with the numpy magic \\x93NUMPY");
            }
        }
        int major = readByte(in, source, "version");
        int minor = readByte(in, source, "version");
        if (major < 1 || major > 3 || minor != 0) {
            throw source.fail("unsupported .npy format version " + major + "." + minor
                    + " (supported: 1.0, 2.0, 3.0)");
        }
        long headerLength;
        if (major == 1) {
            headerLength = readByte(in, source, "header length") | (readByte(in, source, "header length") << 8);
        } else {
            byte[] b = readExactly(in, 4, source, "header length");
            headerLength = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw source.fail("header length " + headerLength + " bytes is implausible; the file is damaged");
        }
        byte[] headerBytes = readExactly(in, (int) headerLength, source, "header");
        // Versions 1 and 2 store the header in latin-1, version 3 in UTF-8.
        Charset charset = major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        Header header = parseHeader(new String(headerBytes, charset).strip(), source);
        return readData(in, header, source);
    }

    private record Header(Dtype dtype, long[] shape, int count) {
    }

    private static Header parseHeader(String text, Source source) throws InvalidInputException {
        Object parsed;
        try {
            parsed = new LiteralParser(text).parseWhole();
        } catch (IllegalArgumentException e) {
            throw source.fail("malformed .npy header (" + e.getMessage() + "): " + abbreviate(text));
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw source.fail("malformed .npy header: not a dict: " + abbreviate(text));
        }
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shapeValue = dict.get("shape");
        if (descr == null || fortran == null || shapeValue == null) {
            throw source.fail("malformed .npy header: needs the keys 'descr', 'fortran_order' and 'shape': "
                    + abbreviate(text));
        }
        if (descr instanceof List) {
            throw source.fail("holds a structured array (record dtype), which is not supported; "
                    + "save each field as its own plain numeric array");
        }
        if (!(descr instanceof String descrText)) {
            throw source.fail("malformed .npy header: 'descr' is not a string: " + abbreviate(text));
        }
        Dtype dtype = Dtype.parse(descrText, source);
        if (!(shapeValue instanceof List<?> dims)) {
            throw source.fail("malformed .npy header: 'shape' is not a tuple: " + abbreviate(text));
        }
        long[] shape = new long[dims.size()];
        int nonTrivial = 0;
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0) {
                throw source.fail("malformed .npy header: shape " + shapeValue + " is not a tuple of sizes");
            }
            shape[i] = d;
            if (d > 1) {
                nonTrivial++;
            }
        }
        if (!(fortran instanceof Boolean isFortran)) {
            throw source.fail("malformed .npy header: 'fortran_order' is not True or False");
        }
        // With at most one dimension larger than 1 the two orders lay the elements out identically.
        if (isFortran && nonTrivial > 1) {
            throw source.fail("is stored in Fortran (column-major) order, which is not supported; "
                    + "save np.ascontiguousarray(a) instead");
        }
        long count;
        try {
            count = NdArray.checkedElementCount(shape);
        } catch (IllegalArgumentException e) {
            throw source.fail("array of shape " + NdArray.formatShape(shape) + " is too large to load ("
                    + e.getMessage() + ")");
        }
        return new Header(dtype, shape, (int) count);
    }

    private static NdArray readData(InputStream in, Header header, Source source)
            throws InvalidInputException, IOException {
        Dtype dtype = header.dtype;
        int count = header.count;
        // The arrays grow with the data that actually arrives: a 120-byte header may claim four billion
        // elements (found by ParserFuzzTest#npy), and allocating them up front would exhaust the heap
        // before the truncation is noticed.
        int capacity = Math.min(count, INITIAL_ELEMENTS);
        float[] floats = dtype.kind == DataKind.FLOAT32 ? new float[capacity] : null;
        double[] doubles = dtype.kind == DataKind.FLOAT64 ? new double[capacity] : null;
        long[] longs = dtype.kind == DataKind.INT64 ? new long[capacity] : null;
        int perChunk = CHUNK_BYTES / dtype.itemBytes;
        byte[] chunk = new byte[perChunk * dtype.itemBytes];
        for (int offset = 0; offset < count; offset += perChunk) {
            int n = Math.min(perChunk, count - offset);
            if (offset + n > capacity) {
                capacity = (int) Math.min(count, Math.max(2L * capacity, offset + n));
                floats = floats == null ? null : Arrays.copyOf(floats, capacity);
                doubles = doubles == null ? null : Arrays.copyOf(doubles, capacity);
                longs = longs == null ? null : Arrays.copyOf(longs, capacity);
            }
            int wanted = n * dtype.itemBytes;
            int got = in.readNBytes(chunk, 0, wanted);
            if (got < wanted) {
                long needed = (long) count * dtype.itemBytes;
                long found = (long) offset * dtype.itemBytes + got;
                throw source.fail("truncated: shape " + NdArray.formatShape(header.shape) + " of " + dtype.descr
                        + " needs " + needed + " data bytes but only " + found + " follow the header");
            }
            ByteBuffer bytes = ByteBuffer.wrap(chunk, 0, wanted).order(ByteOrder.LITTLE_ENDIAN);
            dtype.decode(bytes, n, floats, doubles, longs, offset);
        }
        return new NdArray(dtype.kind, header.shape, floats, longs, doubles);
    }

    /** The element types we read, with how to widen each into its {@link DataKind}. */
    private enum Dtype {
        F4("<f4", 4, DataKind.FLOAT32),
        F8("<f8", 8, DataKind.FLOAT64),
        I8("<i8", 8, DataKind.INT64),
        I4("<i4", 4, DataKind.INT64),
        I2("<i2", 2, DataKind.INT64),
        I1("|i1", 1, DataKind.INT64),
        U4("<u4", 4, DataKind.INT64),
        U2("<u2", 2, DataKind.INT64),
        U1("|u1", 1, DataKind.INT64),
        B1("|b1", 1, DataKind.INT64);

        final String descr;
        final int itemBytes;
        final DataKind kind;

        Dtype(String descr, int itemBytes, DataKind kind) {
            this.descr = descr;
            this.itemBytes = itemBytes;
            this.kind = kind;
        }

        static Dtype parse(String text, Source source) throws InvalidInputException {
            // Single-byte types carry no byte order; numpy writes '|' but '<' and '=' mean the same there.
            String normal = text.length() == 3 && text.endsWith("1") && "<=".indexOf(text.charAt(0)) >= 0
                    ? "|" + text.substring(1) : text;
            for (Dtype d : values()) {
                if (d.descr.equals(normal)) {
                    return d;
                }
            }
            if (text.startsWith(">")) {
                throw source.fail("holds big-endian data ('" + text + "'), which is not supported; re-save it "
                        + "little-endian, e.g. np.save(path, a.astype('<" + text.substring(1) + "'))");
            }
            if (text.endsWith("O") || text.endsWith("O8") || text.endsWith("O4")) {
                throw source.fail("holds Python objects (dtype '" + text + "'), which are not supported "
                        + "(they are pickled); save a plain numeric array");
            }
            throw source.fail("has unsupported dtype '" + text + "'; supported: " + SUPPORTED_DTYPES);
        }

        void decode(ByteBuffer bytes, int n, float[] floats, double[] doubles, long[] longs, int offset) {
            switch (this) {
                case F4 -> bytes.asFloatBuffer().get(floats, offset, n);
                case F8 -> bytes.asDoubleBuffer().get(doubles, offset, n);
                case I8 -> bytes.asLongBuffer().get(longs, offset, n);
                case I4 -> {
                    for (int i = 0; i < n; i++) {
                        longs[offset + i] = bytes.getInt();
                    }
                }
                case I2 -> {
                    for (int i = 0; i < n; i++) {
                        longs[offset + i] = bytes.getShort();
                    }
                }
                case I1 -> {
                    for (int i = 0; i < n; i++) {
                        longs[offset + i] = bytes.get();
                    }
                }
                case U4 -> {
                    for (int i = 0; i < n; i++) {
                        longs[offset + i] = bytes.getInt() & 0xFFFFFFFFL;
                    }
                }
                case U2 -> {
                    for (int i = 0; i < n; i++) {
                        longs[offset + i] = bytes.getShort() & 0xFFFF;
                    }
                }
                case U1 -> {
                    for (int i = 0; i < n; i++) {
                        longs[offset + i] = bytes.get() & 0xFF;
                    }
                }
                case B1 -> {
                    for (int i = 0; i < n; i++) {
                        longs[offset + i] = bytes.get() != 0 ? 1 : 0;
                    }
                }
                default -> throw new IllegalStateException("unhandled dtype " + this);
            }
        }
    }

    /** Where an array comes from, for messages: a file (may be null) and a prefix such as an entry name. */
    private record Source(Path file, String prefix) {
        InvalidInputException fail(String message) {
            return new InvalidInputException(file, prefix + message);
        }

        InvalidInputException fail(String message, Throwable cause) {
            return new InvalidInputException(file, prefix + message, cause);
        }
    }

    private static int readByte(InputStream in, Source source, String what) throws IOException, InvalidInputException {
        int b = in.read();
        if (b < 0) {
            throw source.fail("truncated: the file ends inside the .npy " + what);
        }
        return b;
    }

    private static byte[] readExactly(InputStream in, int n, Source source, String what)
            throws IOException, InvalidInputException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw source.fail("truncated: the file ends inside the .npy " + what);
        }
        return b;
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ");
        return oneLine.length() <= 120 ? oneLine : oneLine.substring(0, 117) + "...";
    }

    /**
     * Parses the small subset of Python literal syntax that .npy headers use: dicts, tuples, lists,
     * quoted strings, integers (with Python 2's optional L suffix), True, False and None. Tuples and
     * lists both become Lists; integers become Longs. Throws IllegalArgumentException on anything else.
     */
    static final class LiteralParser {
        private final String text;
        private int pos;

        LiteralParser(String text) {
            this.text = text;
        }

        Object parseWhole() {
            Object value = parseValue();
            skipSpace();
            if (pos != text.length()) {
                throw error("unexpected text after the literal");
            }
            return value;
        }

        private Object parseValue() {
            skipSpace();
            if (pos >= text.length()) {
                throw error("unexpected end");
            }
            char c = text.charAt(pos);
            if (c == '{') {
                return parseDict();
            }
            if (c == '(') {
                return parseSequence(')');
            }
            if (c == '[') {
                return parseSequence(']');
            }
            if (c == '\'' || c == '"') {
                return parseString();
            }
            if (c == '-' || Character.isDigit(c)) {
                return parseInteger();
            }
            if (Character.isLetter(c)) {
                int start = pos;
                while (pos < text.length() && Character.isLetterOrDigit(text.charAt(pos))) {
                    pos++;
                }
                String word = text.substring(start, pos);
                switch (word) {
                    case "True":
                        return Boolean.TRUE;
                    case "False":
                        return Boolean.FALSE;
                    case "None":
                        return NONE;
                    default:
                        throw error("unknown name '" + word + "'");
                }
            }
            throw error("unexpected character '" + c + "'");
        }

        private Map<Object, Object> parseDict() {
            pos++; // '{'
            Map<Object, Object> map = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    return map;
                }
                Object key = parseValue();
                skipSpace();
                expect(':');
                map.put(key, parseValue());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> parseSequence(char close) {
            pos++; // '(' or '['
            List<Object> items = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == close) {
                    pos++;
                    return items;
                }
                items.add(parseValue());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != close) {
                    throw error("expected ',' or '" + close + "'");
                }
            }
        }

        private String parseString() {
            char quote = text.charAt(pos++);
            StringBuilder sb = new StringBuilder();
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (c == quote) {
                    return sb.toString();
                }
                if (c == '\\' && pos < text.length()) {
                    c = text.charAt(pos++);
                }
                sb.append(c);
            }
            throw error("unterminated string");
        }

        private Long parseInteger() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
            String digits = text.substring(start, pos);
            if (pos < text.length() && (text.charAt(pos) == 'L' || text.charAt(pos) == 'l')) {
                pos++;
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("bad integer '" + digits + "'");
            }
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private char peek() {
            if (pos >= text.length()) {
                throw error("unexpected end");
            }
            return text.charAt(pos);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at character " + pos);
        }

        /** Python's None, distinct from a missing key. */
        static final Object NONE = new Object() {
            @Override
            public String toString() {
                return "None";
            }
        };
    }
}
