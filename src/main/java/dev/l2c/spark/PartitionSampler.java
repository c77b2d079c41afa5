package dev.l2c.spark;

import dev.l2c.io.ImageGrid;
import dev.l2c.modelcard.ModelCard;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Turns a partition of checked requests into output rows: opens the package once per JVM
 * ({@link ExecutorPackages}), gathers the good requests into batches of one guidance scale and a fixed
 * size ({@link PaddedBatch}), and passes bad rows through with their error. Rows are made as the writer
 * asks for them, so a task holds one batch per guidance scale, whatever the partition's size.
 */
final class PartitionSampler implements MapPartitionsFunction<Row, Row> {
    private final PackageLocation location;
    private final String manifestSha256;
    private final RunSettings settings;
    private final int batch;
    private final SampleTables.Store store;
    private final PngFolder pngFolder;
    private final CollectionAccumulator<ExecutorTally> tallies;

    /**
     * @param pngFolder where to write each image as ID.png too, or null
     * @param tallies   receives one {@link ExecutorTally} per finished partition
     */
    PartitionSampler(PackageLocation location, String manifestSha256, RunSettings settings, int batch,
                     SampleTables.Store store, PngFolder pngFolder, CollectionAccumulator<ExecutorTally> tallies) {
        this.location = location;
        this.manifestSha256 = manifestSha256;
        this.settings = settings;
        this.batch = batch;
        this.store = store;
        this.pngFolder = pngFolder;
        this.tallies = tallies;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> requests) throws Exception {
        return new SampledRows(requests, ExecutorPackages.open(location, manifestSha256, settings));
    }

    private final class SampledRows implements Iterator<Row> {
        private final Iterator<Row> requests;
        private final OpenPackage pkg;
        private final String scheduleSha256;
        /** Requests waiting for a full batch, by the bits of their guidance scale. */
        private final Map<Integer, List<SampleRequest>> waiting = new LinkedHashMap<>();
        private final Deque<Row> ready = new ArrayDeque<>();
        private boolean exhausted;
        private long images;
        private long errors;
        private long samplingNanos;

        SampledRows(Iterator<Row> requests, OpenPackage pkg) {
            this.requests = requests;
            this.pkg = pkg;
            this.scheduleSha256 = pkg.scheduleSha256();
        }

        @Override
        public boolean hasNext() {
            try {
                while (ready.isEmpty() && !exhausted) {
                    pull();
                }
            } catch (Exception e) {
                throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void pull() throws Exception {
            if (!requests.hasNext()) {
                for (List<SampleRequest> rest : waiting.values()) {
                    sample(rest);
                }
                waiting.clear();
                exhausted = true;
                tallies.add(new ExecutorTally(SparkEnv.get().executorId(),
                        SparkEnv.get().blockManager().blockManagerId().host(), images, errors, samplingNanos));
                return;
            }
            Row r = requests.next();
            // by position (SampleTables.REQUESTS): the rows Spark hands a Java function carry no schema
            Long id = r.isNullAt(0) ? null : r.getLong(0);
            Integer label = r.isNullAt(1) ? null : r.getInt(1);
            String prompt = r.isNullAt(2) ? null : r.getString(2);
            Long seed = r.isNullAt(3) ? null : r.getLong(3);
            Float scale = r.isNullAt(4) ? null : r.getFloat(4);
            String error = r.isNullAt(5) ? null : r.getString(5);
            if (error != null) {
                errors++;
                ready.add(outputRow(id, label, prompt, seed, scale, null, null, error));
                return;
            }
            SampleRequest request = new SampleRequest(id, label, prompt, seed, scale);
            List<SampleRequest> same = waiting.computeIfAbsent(Float.floatToIntBits(request.guidanceScale()),
                    k -> new ArrayList<>(batch));
            same.add(request);
            if (same.size() == batch) {
                waiting.remove(Float.floatToIntBits(request.guidanceScale()));
                sample(same);
            }
        }

        private void sample(List<SampleRequest> requests) throws Exception {
            long t0 = System.nanoTime();
            List<PaddedBatch.Outcome> outcomes = PaddedBatch.run(pkg, requests, batch);
            samplingNanos += System.nanoTime() - t0;
            ModelCard card = pkg.card();
            for (PaddedBatch.Outcome o : outcomes) {
                SampleRequest q = o.request();
                if (o.error() != null) {
                    errors++;
                    ready.add(outputRow(q.id(), q.label(), q.prompt(), q.seed(), q.guidanceScale(), null, null, o.error()));
                    continue;
                }
                byte[] png = store.png || pngFolder != null ? ImageGrid.imagePng(o.sample(), 0, card.channels(),
                        card.height(), card.width(), card.rangeMin(), card.rangeMax()) : null;
                if (pngFolder != null) {
                    pngFolder.write(q.id(), png);
                }
                images++;
                ready.add(outputRow(q.id(), q.label(), q.prompt(), q.seed(), q.guidanceScale(), o.sample(), png, null));
            }
        }

        private Row outputRow(Long id, Integer label, String prompt, Long seed, Float scale, float[] sample, byte[] png,
                              String error) {
            List<Object> values = new ArrayList<>(9);
            values.add(id);
            values.add(label);
            values.add(prompt);
            values.add(seed);
            values.add(scale);
            values.add(scheduleSha256);
            if (store.array) {
                values.add(sample);
            }
            if (store.png) {
                values.add(png);
            }
            values.add(error);
            return RowFactory.create(values.toArray());
        }
    }
}
