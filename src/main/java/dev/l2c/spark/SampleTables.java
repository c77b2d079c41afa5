package dev.l2c.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

/**
 * The tables of the job: the requests after checking (one row per image to make, or the reason it cannot
 * be made) and the output table written as Parquet. Column names are the ones a request table uses.
 */
final class SampleTables {
    static final String ID = "id";
    static final String LABEL = "label";
    /** A text-conditioned package's prompt (encoded by the text encoder the package carries). */
    static final String PROMPT = "prompt";
    static final String SEED = "seed";
    static final String GUIDANCE_SCALE = "guidance_scale";
    static final String SCHEDULE_SHA256 = "schedule_sha256";
    static final String SAMPLE = "sample";
    static final String PNG = "png";
    /** Why a request row gave no image; null on every good row. */
    static final String ERROR = "error";

    /** Checked requests: the values, typed; on a bad row the values that could be read and the error. */
    static final StructType REQUESTS = new StructType(new StructField[]{
            DataTypes.createStructField(ID, DataTypes.LongType, true),
            DataTypes.createStructField(LABEL, DataTypes.IntegerType, true),
            DataTypes.createStructField(PROMPT, DataTypes.StringType, true),
            DataTypes.createStructField(SEED, DataTypes.LongType, true),
            DataTypes.createStructField(GUIDANCE_SCALE, DataTypes.FloatType, true),
            DataTypes.createStructField(ERROR, DataTypes.StringType, true)});

    private SampleTables() {
    }

    /** What the output table stores of each sample: the float array [C·H·W] (C order), its PNG, or both. */
    enum Store {
        ARRAY(true, false), PNG(false, true), BOTH(true, true);

        final boolean array;
        final boolean png;

        Store(boolean array, boolean png) {
            this.array = array;
            this.png = png;
        }
    }

    /**
     * The output table: id, label, prompt, seed, guidance_scale, schedule_sha256, then sample (array of float,
     * [C, H, W] in C order) and/or png (the image's PNG file), then error.
     */
    static StructType output(Store store) {
        List<StructField> fields = new ArrayList<>(List.of(REQUESTS.fields()).subList(0, 5));
        fields.add(DataTypes.createStructField(SCHEDULE_SHA256, DataTypes.StringType, false));
        if (store.array) {
            fields.add(DataTypes.createStructField(SAMPLE, DataTypes.createArrayType(DataTypes.FloatType, false), true));
        }
        if (store.png) {
            fields.add(DataTypes.createStructField(PNG, DataTypes.BinaryType, true));
        }
        fields.add(DataTypes.createStructField(ERROR, DataTypes.StringType, true));
        return new StructType(fields.toArray(new StructField[0]));
    }
}
