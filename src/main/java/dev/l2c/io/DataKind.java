package dev.l2c.io;

/**
 * How the elements of an {@link NdArray} are held in memory. Narrower integer and boolean types read
 * from a file (int32, uint8, bool, ...) are widened to {@link #INT64}; the file's own dtype is not kept.
 */
public enum DataKind {
    FLOAT32("<f4", "float32"),
    FLOAT64("<f8", "float64"),
    INT64("<i8", "int64");

    /** The numpy dtype string this kind is written as in a .npy header. */
    public final String npyDescr;
    /** The numpy name, for messages. */
    public final String numpyName;

    DataKind(String npyDescr, String numpyName) {
        this.npyDescr = npyDescr;
        this.numpyName = numpyName;
    }
}
