package dev.l2c.spark;

import dev.l2c.error.InvalidInputException;
import dev.l2c.error.UsageException;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;

/**
 * The images a job makes, as checked {@link SampleTables#REQUESTS} rows in a fixed partitioning: from a
 * count with a base seed and a label rule, or from a request table (CSV with a header, JSON lines, or
 * Parquet, with the columns {@code id, label, seed} and optionally {@code guidance_scale}).
 *
 * <p>Rows are partitioned by id and sorted by id within each partition, so a task that is run again
 * sees the same rows in the same order and forms the same batches.
 */
final class RequestSources {
    /** Formats of a request table. */
    static final List<String> FORMATS = List.of("csv", "json", "parquet");
    private static final List<String> REQUIRED = List.of(SampleTables.ID, SampleTables.SEED);

    private RequestSources() {
    }

    /**
     * Ids 0 … n − 1; row i has seed {@link SampleRequest#rowSeed}(baseSeed, i), label
     * {@code labels[i mod labels.length]} (or i mod classes without labels), and the given scale.
     */
    static Dataset<Row> fromCount(SparkSession spark, long n, int partitions, long baseSeed, long[] labels, int classes,
                                  float scale) {
        long[] cycle = labels != null ? labels.clone() : null;
        // spark.range gives each partition a contiguous, ascending run of ids: already in the order wanted
        return spark.range(0, n, 1, partitions).map((MapFunction<Long, Row>) i -> RowFactory.create(i,
                (int) (cycle != null ? cycle[(int) (i % cycle.length)] : i % classes), null,
                SampleRequest.rowSeed(baseSeed, i), scale, null), Encoders.row(SampleTables.REQUESTS));
    }

    /** As {@link #fromCount} for a text-conditioned package: row i has prompt {@code prompts[i mod size]}. */
    static Dataset<Row> fromCountWithPrompts(SparkSession spark, long n, int partitions, long baseSeed,
                                             List<String> prompts, float scale) {
        String[] cycle = prompts.toArray(String[]::new);
        return spark.range(0, n, 1, partitions).map((MapFunction<Long, Row>) i -> RowFactory.create(i, null,
                cycle[(int) (i % cycle.length)], SampleRequest.rowSeed(baseSeed, i), scale, null),
                Encoders.row(SampleTables.REQUESTS));
    }

    /** The format of a request table: {@code format}, or the file name's extension. */
    static String format(String file, String format) throws UsageException {
        String f = format;
        if (f == null) {
            String name = file.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
            f = name.endsWith(".csv") ? "csv" : name.endsWith(".json") || name.endsWith(".jsonl") ? "json"
                    : name.endsWith(".parquet") ? "parquet" : null;
            if (f == null) {
                throw new UsageException("cannot tell the format of " + file + " from its name; add --format "
                        + String.join("|", FORMATS));
            }
        }
        f = f.toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(f)) {
            throw new UsageException("--format must be one of " + String.join(", ", FORMATS) + ", not '" + format + "'");
        }
        return f;
    }

    /** The table's columns as text plus {@code copies} and {@code _corrupt_record}, as RequestParser reads them. */
    static Dataset<Row> readTable(SparkSession spark, String file, String format, boolean text)
            throws InvalidInputException {
        Dataset<Row> table = switch (format) {
            // every column as text: values are checked row by row, and a bad one fails its row only
            case "csv" -> spark.read().option("header", "true").option("inferSchema", "false").csv(file);
            case "json" -> spark.read().schema(textColumns(List.of(SampleTables.ID, SampleTables.LABEL, SampleTables.PROMPT,
                    SampleTables.SEED, SampleTables.GUIDANCE_SCALE, RequestParser.CORRUPT_RECORD)))
                    .option("columnNameOfCorruptRecord", RequestParser.CORRUPT_RECORD).json(file);
            case "parquet" -> spark.read().parquet(file);
            default -> throw new IllegalArgumentException("format " + format);
        };
        List<String> columns = Arrays.stream(table.columns()).map(c -> c.toLowerCase(Locale.ROOT)).toList();
        List<String> required = new java.util.ArrayList<>(REQUIRED);
        required.add(1, text ? SampleTables.PROMPT : SampleTables.LABEL);
        for (String column : required) {
            if (!columns.contains(column)) {
                throw new InvalidInputException(Path.of(file), "the request table has no column '" + column
                        + "' (it has " + String.join(", ", table.columns()) + "); it needs id, "
                        + (text ? "prompt" : "label") + ", seed and optionally guidance_scale");
            }
        }
        Column label = columns.contains(SampleTables.LABEL)
                ? col(SampleTables.LABEL).cast(DataTypes.StringType) : lit(null).cast(DataTypes.StringType);
        Column prompt = columns.contains(SampleTables.PROMPT)
                ? col(SampleTables.PROMPT).cast(DataTypes.StringType) : lit(null).cast(DataTypes.StringType);
        Column scale = columns.contains(SampleTables.GUIDANCE_SCALE)
                ? col(SampleTables.GUIDANCE_SCALE).cast(DataTypes.StringType) : lit(null).cast(DataTypes.StringType);
        Column corrupt = columns.contains(RequestParser.CORRUPT_RECORD)
                ? col(RequestParser.CORRUPT_RECORD) : lit(null).cast(DataTypes.StringType);
        Column id = col(SampleTables.ID).cast(DataTypes.StringType);
        // ids that name the same integer ("7", " 7", "07") count as the same id
        Column idKey = coalesce(expr("try_cast(trim(CAST(" + SampleTables.ID + " AS STRING)) AS BIGINT)")
                .cast(DataTypes.StringType), trim(id));
        // in the order RequestParser reads them
        return table.select(id.as(SampleTables.ID),
                label.as(SampleTables.LABEL), prompt.as(SampleTables.PROMPT),
                col(SampleTables.SEED).cast(DataTypes.StringType).as(SampleTables.SEED),
                scale.as(SampleTables.GUIDANCE_SCALE), corrupt.as(RequestParser.CORRUPT_RECORD),
                count(lit(1)).over(Window.partitionBy(idKey)).as(RequestParser.COPIES));
    }

    /** Checks every row of a table from {@link #readTable} and partitions the result by id. */
    static Dataset<Row> fromTable(Dataset<Row> table, RequestParser parser, int partitions) {
        return table.map(parser, Encoders.row(SampleTables.REQUESTS))
                .repartition(partitions, col(SampleTables.ID))
                .sortWithinPartitions(SampleTables.ID);
    }

    private static StructType textColumns(List<String> names) {
        return new StructType(names.stream().map(n -> DataTypes.createStructField(n, DataTypes.StringType, true))
                .toArray(StructField[]::new));
    }
}
