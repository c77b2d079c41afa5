package dev.l2c.io;

import dev.l2c.error.InvalidInputException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads numpy's .npz archives (from {@code np.savez} or {@code np.savez_compressed}): a zip file whose
 * entries {@code NAME.npy} are .npy arrays, stored or deflated. The arrays are keyed by NAME, in the
 * order the archive lists them.
 */
public final class Npz {
    private static final String NPY_SUFFIX = ".npy";

    private Npz() {
    }

    /** Reads every array of the archive; an entry that is not a valid .npy array fails the whole read. */
    public static Map<String, NdArray> read(Path file) throws InvalidInputException {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(file, "is a folder, not a .npz file");
        }
        if (!Files.exists(file)) {
            throw new InvalidInputException(file, "file not found");
        }
        Map<String, NdArray> arrays = new LinkedHashMap<>();
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
                arrays.put(key, readEntry(zip, entry, file));
            }
        } catch (ZipException e) {
            if (startsWithNpyMagic(file)) {
                throw new InvalidInputException(file, "is a single .npy array, not a .npz archive; read it as .npy", e);
            }
            throw new InvalidInputException(file, "not a readable .npz archive (a zip file): " + e.getMessage()
                    + "; is it truncated, or another format?", e);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, "file not found", e);
        } catch (AccessDeniedException e) {
            throw new InvalidInputException(file, "cannot read: permission denied", e);
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read: " + AtomicOutput.describe(e), e);
        }
        return Collections.unmodifiableMap(arrays);
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

    private static NdArray readEntry(ZipFile zip, ZipEntry entry, Path file) throws InvalidInputException {
        String where = "entry '" + entry.getName() + "'";
        try (InputStream in = new BufferedInputStream(zip.getInputStream(entry), 1 << 16)) {
            NdArray array = Npy.readEntry(in, file, where);
            if (in.read() != -1) {
                throw new InvalidInputException(file, where + ": has extra bytes after the array data; "
                        + "the archive is damaged");
            }
            return array;
        } catch (IOException e) {
            // A damaged deflate stream or a zip cut short shows up here, mid-entry.
            throw new InvalidInputException(file, where + ": cannot read (the archive is damaged or truncated): "
                    + AtomicOutput.describe(e), e);
        }
    }
}
