package dev.l2c.io;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.OutputException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes numpy's .npz archives (as from {@code np.savez} or {@code np.savez_compressed}): a
 * zip file whose entries {@code NAME.npy} are .npy arrays, stored or deflated. The arrays are keyed by
 * NAME, in the order the archive lists them. {@link #write} produces what {@code np.savez} does: stored
 * (uncompressed) entries, so {@code np.load} can read them without inflating.
 */
public final class Npz {
    private static final String NPY_SUFFIX = ".npy";

    private Npz() {
    }

    /** What {@link #read(Path)} lets an archive expand to: its arrays' bytes, all entries together. */
    public static final long DEFAULT_MAX_BYTES = 256L << 20;

    /** Reads every array of the archive, refusing one that expands beyond {@link #DEFAULT_MAX_BYTES}. */
    public static Map<String, NdArray> read(Path file) throws InvalidInputException {
        return read(file, DEFAULT_MAX_BYTES);
    }

    /**
     * Reads every array of the archive; an entry that is not a valid .npy array fails the whole read.
     * The bytes the entries expand to are counted as they are inflated and the read stops beyond
     * {@code maxBytes}: a few megabytes of deflated zeros (a zip bomb) would otherwise fill the heap.
     */
    public static Map<String, NdArray> read(Path file, long maxBytes) throws InvalidInputException {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(file, "is a folder, not a .npz file");
        }
        if (!Files.exists(file)) {
            throw new InvalidInputException(file, "file not found");
        }
        Map<String, NdArray> arrays = new LinkedHashMap<>();
        Budget budget = new Budget(maxBytes);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (entry.isDirectory()) {
                    continue;
                }
                String name = entry.getName();
                if (!name.endsWith(NPY_SUFFIX)) {
                    throw new InvalidInputException(file, "entry '" + name + "' is not a .npy array; "
                            + "a .npz archive holds only NAME.npy entries (as written by np.savez)");
                }
                String key = name.substring(0, name.length() - NPY_SUFFIX.length());
                if (entry.getSize() > maxBytes - budget.used) {
                    throw tooLarge(file, maxBytes);
                }
                arrays.put(key, readEntry(zip, entry, file, budget));
            }
        } catch (BudgetExceeded e) {
            throw tooLarge(file, maxBytes);
        } catch (ZipException e) {
            if (startsWithNpyMagic(file)) {
                throw new InvalidInputException(file, "is a single .npy array, not a .npz archive; read it as .npy", e);
            }
            throw new InvalidInputException(file, "not a readable .npz archive (a zip file): " + e.getMessage()
                    + "; is it truncated, or another format?", e);
        } catch (IllegalArgumentException e) {
            // java.util.zip decodes entry names lazily and reports a name that is not UTF-8 this way
            // (found by ParserFuzzTest#npz)
            throw new InvalidInputException(file, "not a readable .npz archive: an entry name is not valid UTF-8; "
                    + "the file is damaged", e);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, "file not found", e);
        } catch (AccessDeniedException e) {
            throw new InvalidInputException(file, "cannot read: permission denied", e);
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read: " + AtomicOutput.describe(e), e);
        }
        return Collections.unmodifiableMap(arrays);
    }

    /**
     * Writes {@code arrays} as an uncompressed .npz archive, one entry {@code NAME.npy} per array in the
     * map's iteration order, atomically (temp file beside {@code file}, then rename). numpy reads the
     * result with {@code np.load(file)}; {@link #read} gives back equal arrays in the same order.
     *
     * @throws IllegalArgumentException if a name is empty or contains a path separator, which would not
     *     come back as the same key
     */
    public static void write(Path file, Map<String, NdArray> arrays) throws OutputException {
        for (String name : arrays.keySet()) {
            if (name.isEmpty() || name.contains("/") || name.contains("\\")) {
                throw new IllegalArgumentException("array name '" + name + "' cannot be a .npz entry name; "
                        + "use a non-empty name without '/' or '\\'");
            }
        }
        AtomicOutput.writeFile(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            zip.setMethod(ZipOutputStream.STORED);
            for (Map.Entry<String, NdArray> e : arrays.entrySet()) {
                // A stored entry must announce its size and CRC before its data; computing them by a first
                // pass through the encoder avoids holding a second copy of a large array in memory.
                CRC32 crc = new CRC32();
                CountingSink sink = new CountingSink();
                Npy.write(new CheckedOutputStream(sink, crc), e.getValue());
                ZipEntry entry = new ZipEntry(e.getKey() + NPY_SUFFIX);
                entry.setSize(sink.count);
                entry.setCompressedSize(sink.count);
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                Npy.write(zip, e.getValue());
                zip.closeEntry();
            }
            zip.finish(); // writes the central directory; AtomicOutput flushes and syncs the file
        });
    }

    /** Discards bytes, counting them. */
    private static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    private static boolean startsWithNpyMagic(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(6);
            return head.length == 6 && (head[0] & 0xFF) == 0x93 && new String(head, 1, 5,
                    StandardCharsets.US_ASCII).equals("NUMPY");
        } catch (IOException e) {
            return false;
        }
    }

    private static InvalidInputException tooLarge(Path file, long maxBytes) {
        return new InvalidInputException(file, "expands to more than " + (maxBytes >> 20) + " MiB of arrays, more than"
                + " this file can hold (a zip bomb, or the wrong file)");
    }

    /** Bytes inflated so far, against the archive's limit. */
    private static final class Budget {
        final long max;
        long used;

        Budget(long max) {
            this.max = max;
        }
    }

    private static final class BudgetExceeded extends IOException {
        BudgetExceeded() {
            super("archive too large");
        }
    }

    /** Counts the bytes read through it against the archive's budget. */
    private static final class BudgetedStream extends java.io.FilterInputStream {
        private final Budget budget;

        BudgetedStream(InputStream in, Budget budget) {
            super(in);
            this.budget = budget;
        }

        private int count(int n) throws BudgetExceeded {
            if (n > 0) {
                budget.used += n;
                if (budget.used > budget.max) {
                    throw new BudgetExceeded();
                }
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return count(super.read(b, off, len));
        }
    }

    private static NdArray readEntry(ZipFile zip, ZipEntry entry, Path file, Budget budget)
            throws InvalidInputException, BudgetExceeded {
        String where = "entry '" + entry.getName() + "'";
        try (InputStream in = new BufferedInputStream(new BudgetedStream(zip.getInputStream(entry), budget), 1 << 16)) {
            NdArray array = Npy.readEntry(in, file, where);
            if (in.read() != -1) {
                throw new InvalidInputException(file, where + ": has extra bytes after the array data; "
                        + "the archive is damaged");
            }
            return array;
        } catch (BudgetExceeded e) {
            throw e;
        } catch (IOException e) {
            // A damaged deflate stream or a zip cut short shows up here, mid-entry.
            throw new InvalidInputException(file, where + ": cannot read (the archive is damaged or truncated): "
                    + AtomicOutput.describe(e), e);
        }
    }
}
