package dev.l2c.spark;

import dev.l2c.error.L2cException;
import dev.l2c.io.Progress;
import dev.l2c.modelcard.ModelCard;
import dev.l2c.pkg.CompiledPackage;
import dev.l2c.pkg.PackageFiles;
import dev.l2c.pkg.PackageManifest;
import dev.l2c.runtime.PromptEncoder;
import dev.l2c.runtime.SampleGenerator;
import dev.l2c.runtime.SampleRun;

import java.util.List;

/**
 * A package opened in one JVM: its ONNX Runtime sessions (weights mapped once), shared by every task
 * that JVM runs, in this job and the next. A {@link SampleGenerator} keeps state between the calls of a
 * run (pinned outputs, cache tensors), so one batch runs at a time: when an executor runs several tasks
 * at once (spark.executor.cores &gt; 1), they take turns here, and ONNX Runtime's intra-op threads
 * (--threads, by default the executor's cores) keep the cores busy during each batch. What a waiting
 * task does meanwhile, reading its requests and encoding its finished rows, overlaps the running batch.
 */
final class OpenPackage implements AutoCloseable {
    private final CompiledPackage pkg;
    private final SampleGenerator generator;
    /** A text-conditioned package's text encoder, opened at its first prompt. */
    private PromptEncoder encoder;

    OpenPackage(CompiledPackage pkg, SampleGenerator generator) {
        this.pkg = pkg;
        this.generator = generator;
    }

    /** The final samples of one batch; the only way to the sessions, one caller at a time. */
    synchronized float[] generate(SampleRun.Request request) throws L2cException {
        try (Progress quiet = Progress.start("spark", generator.evaluations(), false)) {
            return generator.generate(request, quiet).samples();
        }
    }

    /** A request of {@code prompts} (one per image), guided against the card's null condition. */
    synchronized SampleRun.Request promptRequest(float[] noise, List<String> prompts, float scale) throws L2cException {
        if (encoder == null) {
            encoder = PromptEncoder.open(card(), pkg.folder(), pkg.folder().resolve(PackageFiles.MANIFEST));
        }
        return new SampleRun.Request(noise, encoder.encode(prompts), encoder.unconditional(null, prompts.size()), scale);
    }

    ModelCard card() {
        return pkg.manifest().card();
    }

    /** The SHA-256 of the package's schedule file, as its manifest lists it: which schedule made a sample. */
    String scheduleSha256() {
        PackageManifest m = pkg.manifest();
        return m.files().get(m.schedule().file());
    }

    @Override
    public synchronized void close() {
        generator.close();
        if (encoder != null) {
            encoder.close();
        }
    }
}
