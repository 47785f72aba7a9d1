package dev.quokka.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.Manifests;
import dev.quokka.dataprep.study.SequenceSource;
import dev.quokka.dataprep.study.StudyReader;
import dev.quokka.dataprep.tokenize.TokenizerFiles;
import dev.quokka.tokenizer.SpecialTokens;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The training loop: a study's sequences in their exact order, a fixed number of tokens per step, AdamW on an
 * {@link Engine}, evaluation at an interval and at every epoch boundary, checkpoints, and a run directory
 * ({@link RunFiles}). Resuming from a checkpoint replays nothing and changes nothing: the batch of step s depends only
 * on the study, the seed and s.
 */
public final class Trainer {
    public static final String FORMAT = "quokka.run/1";

    /** Makes the engine for a shape; {@code dev.quokka.training.nd4j.SameDiffEngine::create} in practice. */
    @FunctionalInterface
    public interface EngineFactory {
        Engine create(ModelShape shape, int rows, int length, boolean causal, AdamW adamW, long seed);
    }

    /** The loss or gradient stopped being finite: the run stops and saves nothing. */
    public static final class Diverged extends IllegalStateException {
        Diverged(String message) {
            super(message);
        }
    }

    /** How a run ended; {@code dataWaitShare} is the share of step time spent waiting for the next batch. */
    public record Summary(String run, long steps, long totalSteps, double lastTrainLoss, double lastValLoss,
                          double bestValLoss, double tokensPerSecond, double dataWaitShare, boolean complete) implements java.io.Serializable {}

    private final TrainConfig cfg;
    private final Configuration conf;
    private final PrintStream console;
    private final RunFiles run;
    private final SequenceSource source;
    private final JsonNode study;
    private final Objective objective;
    private final ModelShape shape;
    private final EpochClock clock;
    private final int rows, window;
    private final long totalSteps;
    private final Validation validation;
    /** The per-window losses of the latest evaluation: what the next one's change is measured against. */
    private double[] lastWindows;
    private final Engine engine;
    private final String configSha;
    private final JsonNode tokenizerInfo;
    /** Where a resume starts, when not at the run's latest checkpoint (an extension starts before its decay). */
    private Path resumeFrom;

    private Trainer(TrainConfig cfg, EngineFactory factory, Configuration conf, PrintStream console) throws IOException {
        this.cfg = cfg;
        this.conf = conf;
        this.console = console;
        this.run = new RunFiles(cfg.output(), conf);
        Path studyDir = new Path(cfg.study());
        FileSystem sfs = studyDir.getFileSystem(conf);
        if (!AtomicOutput.isComplete(sfs, studyDir)) throw new IllegalArgumentException(cfg.study() + " is not a complete study (no _SUCCESS)");
        this.study = AtomicOutput.readManifest(sfs, studyDir);
        this.source = SequenceSource.open(cfg.study(), conf);
        this.window = source.window();
        int length = window - 1;

        String tokPath = cfg.tokenizer() != null ? cfg.tokenizer() : study.path("tokenizer").path("uri").asText();
        Tokenizer tokenizer = TokenizerFiles.load(tokPath, conf);
        String tokSha = TokenizerJson.sha256(tokenizer), studySha = study.path("tokenizer").path("sha256").asText();
        if (!tokSha.equals(studySha)) {
            throw new IllegalArgumentException(tokPath + ": not the tokenizer " + cfg.study() + " was made with (SHA-256 " + tokSha + ", the study's " + studySha + ")");
        }
        int vocab = tokenizer.vocabSize();
        int maskId = -1;
        if (cfg.diffusion()) {
            maskId = tokenizer.specialTokens().maskId().orElseThrow(() -> new IllegalArgumentException(
                    tokPath + " has no mask token (" + SpecialTokens.MASK + "); the diffusion objective needs one"));
        }
        ObjectNode tok = JsonNodeFactory.instance.objectNode().put("uri", tokPath).put("sha256", tokSha).put("vocab_size", vocab);
        if (maskId >= 0) tok.put("mask_id", maskId);
        this.tokenizerInfo = tok;
        this.objective = cfg.objective(maskId);
        this.shape = cfg.shape(vocab);
        if (cfg.batchTokens() % length != 0) {
            throw new IllegalArgumentException("--batch-tokens " + cfg.batchTokens() + " is not a multiple of the study's sequence length " + length);
        }
        this.rows = cfg.batchTokens() / length;
        this.clock = new EpochClock(source);
        this.totalSteps = totalSteps();
        this.validation = new Validation(StudyReader.validation(cfg.study(), conf), window, cfg.valSequences(), objective, cfg.valSamples(), rows);
        this.configSha = Manifests.sha256(RunFiles.JSON.valueToTree(cfg));
        this.engine = factory.create(shape, rows, length, objective.causal(), cfg.adamW(), cfg.seed());
    }

    private long totalSteps() {
        if (cfg.anneal() != null) {
            long end = cfg.anneal().fromStep() + cfg.anneal().steps();
            if (end * rows > source.sequences()) throw new IllegalArgumentException("the anneal branch would read past the end of the study (" + end + " steps of " + rows + " sequences)");
            return end;
        }
        long sequences = source.sequences();
        if (cfg.epochs() > 0) {
            if (cfg.epochs() > clock.epochs() + 1e-9) throw new IllegalArgumentException("--epochs " + cfg.epochs() + ": the study has " + clock.epochs());
            long full = clock.epochs() > 1 ? clock.firstSequence(1) : sequences;
            sequences = Math.min(sequences, Math.round(cfg.epochs() * full));
        }
        long steps = sequences / rows;
        if (steps == 0) throw new IllegalArgumentException("the study holds " + sequences + " sequences, fewer than one batch of " + rows);
        return steps;
    }

    /** Starts a run in {@code cfg.output()}, which must not hold one. {@code stopAfter}: see {@link #resume}. */
    public static Summary run(TrainConfig cfg, EngineFactory factory, Configuration conf, long stopAfter, PrintStream console) throws IOException {
        if (new RunFiles(cfg.output(), conf).hasManifest()) {
            throw new IllegalArgumentException(cfg.output() + " already holds a run; pass --resume to continue it, or choose another --output");
        }
        return new Trainer(cfg, factory, conf, console).train(false, stopAfter);
    }

    /**
     * Continues the run in {@code output} from its latest checkpoint, under the config it was started with.
     * {@code stopAfter} (a step, 0 for none) ends the session early, with a checkpoint, as a kill would.
     */
    public static Summary resume(String output, EngineFactory factory, Configuration conf, long stopAfter, PrintStream console) throws IOException {
        RunFiles files = new RunFiles(output, conf);
        if (!files.hasManifest()) throw new IllegalArgumentException(output + ": no run to resume (no " + RunFiles.MANIFEST + ")");
        String status = files.manifest().path("status").asText();
        if (status.equals("complete") || status.equals("diverged")) {
            throw new IllegalArgumentException(output + ": the run is " + status + "; there is nothing to resume");
        }
        TrainConfig cfg = RunFiles.JSON.treeToValue(files.manifest().get("config"), TrainConfig.class).withOutput(output);
        Trainer t = new Trainer(cfg, factory, conf, console);
        t.requireSameStudy(files.manifest());
        return t.train(true, stopAfter);
    }

    /**
     * Extends the complete run in {@code output} to {@code epochs} ({@link RunExtension}): its decay becomes an anneal
     * branch, and training continues from the last checkpoint of its stable phase, on {@code study} (null: its own).
     */
    public static Summary extend(String output, double epochs, String study, EngineFactory factory, Configuration conf, long stopAfter,
                                 PrintStream console) throws IOException {
        RunExtension.Plan plan = RunExtension.prepare(output, epochs, study, conf, console);
        Trainer t = new Trainer(plan.config(), factory, conf, console);
        t.resumeFrom = plan.resumeFrom();
        return t.train(true, stopAfter);
    }

    /**
     * A resumed run reads the study it was started on: one rebuilt under it since would change its sequences. An
     * extension may move a run to a longer study whose first epochs are the same ({@link RunExtension}).
     */
    private void requireSameStudy(JsonNode runManifest) {
        String recorded = runManifest.path("study").path("manifest_sha256").asText();
        String now = Manifests.sha256(study);
        if (!recorded.isEmpty() && !recorded.equals(now)) {
            throw new IllegalArgumentException(cfg.study() + " has changed since " + cfg.output() + " was started on it (its manifest's SHA-256 is "
                    + now + ", the run recorded " + recorded + "); a run resumes only on the study it was trained on");
        }
    }

    /** The manifest of the run in {@code output} ({@link RunFiles}), or null if there is none. */
    public static JsonNode manifestOf(String output, Configuration conf) throws IOException {
        RunFiles files = new RunFiles(output, conf);
        return files.hasManifest() ? files.manifest() : null;
    }

    /** The best and the last epoch boundary of a run's stable phase ({@link #stableBoundaries}); NaN without one. */
    public record StablePhase(double bestEpoch, double lastEpoch) {
        /** Still improving: best at the last boundary of its stable phase, or in the last quarter of {@code epochs}. */
        public boolean improving(double epochs) {
            return !Double.isNaN(bestEpoch) && (bestEpoch == lastEpoch || bestEpoch >= 0.75 * epochs);
        }
    }

    /**
     * Where the run was best among the epoch boundaries of its stable phase (the learning rate at its peak, neither
     * warming up nor decaying), and its last such boundary. Best epochs are read here, never off a decay, whose
     * falling learning rate lowers the loss by more than many epochs of the stable phase.
     */
    public static StablePhase stableBoundaries(String output, Configuration conf) throws IOException {
        RunFiles files = new RunFiles(output, conf);
        if (!files.hasManifest()) return new StablePhase(Double.NaN, Double.NaN);
        double peak = files.manifest().path("config").path("lr").asDouble();
        double best = Double.NaN, bestEpoch = Double.NaN, last = Double.NaN;
        for (Metrics.Eval r : Metrics.evalRows(files, Long.MAX_VALUE)) {
            if (!r.boundary() || r.lr() < peak * (1 - 1e-6)) continue;
            last = r.epoch();
            if (Double.isNaN(best) || r.loss() < best) {
                best = r.loss();
                bestEpoch = r.epoch();
            }
        }
        return new StablePhase(bestEpoch, last);
    }

    /** The step of the run's latest checkpoint, where a resume starts; 0 if it has none. */
    public static long checkpointedStep(String output, Configuration conf) throws IOException {
        RunFiles files = new RunFiles(output, conf);
        Path last = Checkpoints.latest(files.fs, files.dir);
        return last == null ? 0 : Checkpoints.info(files.fs, last).get("step").asLong();
    }

    /**
     * Loads the engine's state where this session starts and returns that step: the run's latest checkpoint (or the
     * one given) on a resume, the parent's checkpoint for a fresh anneal branch, else 0 with fresh weights.
     */
    private long restore(boolean resume) throws IOException {
        Path last = !resume ? null : resumeFrom != null ? resumeFrom : Checkpoints.latest(run.fs, run.dir);
        FileSystem fs = run.fs;
        if (last == null && cfg.anneal() != null) {
            last = new Path(cfg.anneal().checkpoint());
            fs = last.getFileSystem(conf);
        }
        if (last == null) return 0;
        lastWindows = Checkpoints.windows(fs, last);
        return Checkpoints.load(fs, last, engine).step();
    }

    /** The manifest of a running session, with every earlier session of the run in order and this one last. */
    private ObjectNode startSession(boolean resume, long start) throws IOException {
        ObjectNode manifest = manifest("running");
        // Every session of the run, in order: where each started shows what a kill or a retry cost.
        var sessions = manifest.putArray("sessions");
        if (resume) {
            JsonNode before = run.manifest();
            before.path("sessions").forEach(sessions::add);
            if (before.has("extensions")) manifest.set("extensions", before.get("extensions"));
        }
        sessions.addObject().put("from_step", start).put("started_at", java.time.Instant.now().toString())
                .put("process", ProcessHandle.current().pid() + "@" + host())
                .set("engine", RunFiles.JSON.valueToTree(engine.describe()));
        run.writeManifest(manifest);
        return manifest;
    }

    private Summary train(boolean resume, long stopAfter) throws IOException {
        long start = restore(resume);
        ObjectNode manifest = startSession(resume, start);

        // From step 0, nothing is kept: a run killed before its first checkpoint starts over, evaluation included.
        List<Metrics.Train> trainRows = start == 0 ? List.of() : Metrics.trainRows(run, start);
        List<Metrics.Eval> evalRows = start == 0 ? List.of() : Metrics.evalRows(run, start);
        LrSchedule lr = cfg.lrSchedule(totalSteps);
        int length = window - 1;
        double best = Double.NaN, lastVal = Double.NaN, lastTrain = Double.NaN;
        for (Metrics.Eval r : evalRows) {
            lastVal = r.loss();
            best = minNaN(best, lastVal);
        }
        if (!trainRows.isEmpty()) lastTrain = trainRows.get(trainRows.size() - 1).loss();
        StopRuleState turn = new StopRuleState(cfg.stop());
        for (Metrics.Eval r : evalRows) if (r.boundary()) turn.observe(r.step(), r.epoch(), r.loss());
        long end = stopAfter > 0 ? Math.min(stopAfter, totalSteps) : totalSteps;
        long decayStart = cfg.decayStart(totalSteps);
        boolean stoppedByRule = false;
        long waitNanos = 0, stepNanos = 0, t0 = System.nanoTime(), lastPrint = t0;
        long step = start;
        ExecutorService prefetch = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "quokka-batches");
            t.setDaemon(true);
            return t;
        });
        try (Metrics metrics = new Metrics(run, trainRows, evalRows)) {
            if (start == 0 && cfg.anneal() == null) {
                lastVal = evaluate(metrics, 0, 0, lr.at(0), false);
                best = minNaN(best, lastVal);
            }
            console.printf("training %s %s (%,d parameters, papers' N %,d) on %s: %,d steps of %,d tokens, from step %,d%n",
                    cfg.objective(), shape, shape.parameters(), shape.papersParameters(), cfg.study(), totalSteps, rows * length, start);
            long first = start;
            Future<Batch> next = first < end ? prefetch.submit(() -> batch(first)) : null;
            for (step = start; step < end; ) {
                // A round of steps ends where evaluation, a checkpoint or an epoch boundary needs the parameters.
                int k = roundLength(step, end);
                long before = System.nanoTime();
                List<Batch> batches = new ArrayList<>(k);
                double[] rates = new double[k];
                for (int i = 0; i < k; i++) {
                    long following = step + i + 1;
                    batches.add(next.get());
                    if (following < end) next = prefetch.submit(() -> batch(following));
                    rates[i] = lr.at(step + i);
                }
                waitNanos += System.nanoTime() - before;
                List<Engine.Step> results = engine.steps(batches, rates);
                long stepped = System.nanoTime() - before;
                stepNanos += stepped;
                double seconds = stepped / 1e9 / k;
                for (int i = 0; i < k; i++, step++) {
                    Engine.Step r = results.get(i);
                    double rate = rates[i];
                    long done = step + 1, sequences = done * rows;
                    if (!Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm())) {
                        throw diverged(manifest, "step " + done + ": the loss is " + r.loss() + " and the gradient norm " + r.gradNorm()
                                + " at lr " + rate + "; stopped without saving. " + lastGood());
                    }
                    double epoch = clock.epochsAfter(sequences);
                    lastTrain = r.loss();
                    metrics.write(Metrics.Train.of(done, sequences * length, epoch, rate, r.loss(), r.gradNorm(), rows * length / seconds));

                    boolean boundary = clock.boundariesCrossed(sequences - rows, sequences, done == totalSteps) > 0, newBest = false;
                    if (boundary || (cfg.evalEvery() > 0 && done % cfg.evalEvery() == 0) || done == totalSteps) {
                        lastVal = evaluate(metrics, done, sequences, rate, boundary);
                        best = minNaN(best, lastVal);
                        long previousBest = turn.bestStep();
                        newBest = boundary && turn.observe(done, epoch, lastVal);
                        // The stop rule keeps the best epoch's checkpoint; one it keeps for no other reason goes when superseded.
                        if (newBest && cfg.stop() != null && previousBest > 0 && !checkpointsAt(previousBest, true, decayStart)) {
                            run.fs.delete(new Path(new Path(run.dir, Checkpoints.DIR), Checkpoints.name(previousBest)), true);
                        }
                        if (boundary && turn.turned() && done < end) {
                            stoppedByRule = true;
                            end = done; // ends this round and the loop, with a checkpoint here
                        }
                    }
                    if (checkpointsAt(done, boundary, decayStart) || (newBest && cfg.stop() != null) || done == end) {
                        // A resume keeps the metrics up to its checkpoint: they must be out of this process's buffers
                        // before the checkpoint exists, or a killed executor takes them along.
                        metrics.flush();
                        Checkpoints.save(run.fs, run.dir, engine, new Checkpoints.Position(done, sequences, epoch, rate), configSha, lastWindows);
                    }
                    long now = System.nanoTime();
                    if (now - lastPrint > 10e9 || done == end) {
                        lastPrint = now;
                        metrics.flush();
                        double perSecond = (double) (done - start) * rows * length / ((now - t0) / 1e9);
                        long etaSeconds = Math.round((totalSteps - done) * rows * length / perSecond);
                        console.printf("step %,d/%,d  epoch %.2f  loss %.4f  val %.4f  lr %.2e  %,.0f tok/s  data wait %.1f%%  ETA %dm%02ds%n",
                                done, totalSteps, epoch, r.loss(), lastVal, rate, perSecond, 100.0 * waitNanos / stepNanos, etaSeconds / 60, etaSeconds % 60);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the study failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            prefetch.shutdownNow();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        double tokensPerSecond = (step - start) * rows * length / elapsed, wait = stepNanos == 0 ? 0 : (double) waitNanos / stepNanos;
        boolean complete = step == totalSteps || stoppedByRule;
        manifest.put("status", complete ? "complete" : "stopped");
        ObjectNode fin = manifest.putObject("final");
        fin.put("step", step).put("tokens", step * rows * length).put("epoch", clock.epochsAfter(step * rows));
        // A figure not measured yet (a branch stopped before its first evaluation) is left out, not written as "NaN".
        putFinite(fin, "train_loss", lastTrain);
        putFinite(fin, "val_loss", lastVal);
        putFinite(fin, "best_val_loss", best);
        fin.put("tokens_per_second", tokensPerSecond).put("data_wait_share", wait);
        fin.put("flops", shape.trainingFlops(step * rows * length));
        if (stoppedByRule) {
            fin.putObject("stopped_by_rule").put("best_epoch", turn.bestEpoch()).put("best_val_loss", turn.best())
                    .put("stopped_at_epoch", turn.lastEpoch()).put("margin", cfg.stop().margin()).put("patience", cfg.stop().patience())
                    .put("best_checkpoint", new Path(new Path(run.dir, Checkpoints.DIR), Checkpoints.name(turn.bestStep())).toString());
            console.printf("%s: the validation loss stayed above %.1f%% over its best (epoch %.2f) for %d epochs: stopped at epoch %.2f%n",
                    cfg.output(), 100 * cfg.stop().margin(), turn.bestEpoch(), cfg.stop().patience(), turn.lastEpoch());
        }
        run.writeManifest(manifest);
        return new Summary(cfg.output(), step, totalSteps, lastTrain, lastVal, best, tokensPerSecond, wait, complete);
    }

    private static void putFinite(ObjectNode node, String field, double value) {
        if (Double.isFinite(value)) node.put(field, value);
    }

    private String lastGood() throws IOException {
        Path last = Checkpoints.latest(run.fs, run.dir);
        return last == null ? "The run has no checkpoint yet: start it again with other settings."
                : "Its last good checkpoint is " + last + " (an anneal branch can start from it).";
    }

    /**
     * Whether the run keeps a checkpoint after step {@code done} as a matter of course: at epoch boundaries (with
     * --checkpoint-epochs), every --checkpoint-every steps, and where a warmup-stable-decay run's decay begins, its last
     * stable step, from which it can be extended or branched. (A stop rule also keeps the best epoch's.)
     */
    private boolean checkpointsAt(long done, boolean boundary, long decayStart) {
        return (boundary && cfg.checkpointEpochs()) || (cfg.checkpointEvery() > 0 && done % cfg.checkpointEvery() == 0)
                || (done == decayStart && decayStart < totalSteps);
    }

    /** Steps from {@code step} in one engine round: up to its round size, ending at the first step that must stop. */
    private int roundLength(long step, long end) {
        int k = 1;
        while (k < engine.stepsPerRound() && step + k < end && !stopsAfter(step + k)) k++;
        return k;
    }

    /** Whether the run evaluates or checkpoints after step {@code done}, or crosses an epoch boundary there. */
    private boolean stopsAfter(long done) {
        long sequences = done * rows;
        return clock.boundariesCrossed(sequences - rows, sequences) > 0 || done == totalSteps || done == cfg.decayStart(totalSteps)
                || (cfg.evalEvery() > 0 && done % cfg.evalEvery() == 0)
                || (cfg.checkpointEvery() > 0 && done % cfg.checkpointEvery() == 0);
    }

    /** Records the divergence in the manifest, so that a sweep reports it instead of retrying a deterministic failure. */
    private Diverged diverged(ObjectNode manifest, String message) throws IOException {
        manifest.put("status", "diverged");
        manifest.put("error", message);
        run.writeManifest(manifest);
        return new Diverged(message);
    }

    private Batch batch(long step) {
        int[][] windows = new int[rows][window];
        for (int r = 0; r < rows; r++) source.read(step * rows + r, windows[r]);
        SplittableRandom rng = new SplittableRandom(Long.rotateLeft(cfg.seed(), 32) ^ (step * 0x9E3779B97F4A7C15L));
        return objective.train(windows, rng, (double) step / totalSteps);
    }

    private double evaluate(Metrics metrics, long step, long sequences, double rate, boolean boundary) throws IOException {
        Validation.Result v = validation.evaluate(engine);
        metrics.write(Metrics.Eval.of(step, sequences * (window - 1), clock.epochsAfter(sequences), rate, v.loss(), boundary,
                v.standardError(), v.changeError(lastWindows)));
        lastWindows = v.windows();
        return v.loss();
    }

    private ObjectNode manifest(String status) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("format", FORMAT);
        m.put("status", status);
        m.set("config", RunFiles.JSON.valueToTree(cfg));
        m.put("config_sha256", configSha);
        ObjectNode s = m.putObject("model");
        s.put("vocab", shape.vocab()).put("d", shape.d()).put("layers", shape.layers()).put("heads", shape.heads())
                .put("mlp_hidden", shape.mlpHidden()).put("tied", shape.tied());
        s.put("parameters", shape.parameters()).put("non_embedding_parameters", shape.nonEmbeddingParameters());
        s.put("papers_n", shape.papersParameters()).put("papers_n_non_embedding", shape.papersNonEmbeddingParameters());
        ObjectNode o = m.putObject("objective");
        o.put("name", cfg.objective());
        objective.describe(cfg.valSamples()).forEach((k, v) -> o.set(k, RunFiles.JSON.valueToTree(v)));
        ObjectNode st = m.putObject("study");
        st.put("path", cfg.study()).put("manifest_sha256", Manifests.sha256(study));
        st.put("unique_tokens", study.path("unique").path("tokens").asLong()).put("epochs", clock.epochs())
                .put("seq_len", window - 1).put("sequences", source.sequences());
        st.put("validation_windows", validation.windows());
        // What fixes the study's sequences, but for how many epochs it holds: a longer study with the same
        // fingerprint has the same sequences in every epoch but this one's last, so the run can be extended onto it.
        st.putObject("fingerprint").put("unique_checksum", study.path("unique").path("checksum").asText())
                .put("validation_checksum", study.path("validation").path("checksum").asText())
                .put("seed", study.path("index").path("seed").asLong()).put("seq_len", window - 1)
                .put("tokenizer_sha256", study.path("tokenizer").path("sha256").asText());
        m.set("tokenizer", tokenizerInfo);
        ObjectNode plan = m.putObject("plan");
        long tokens = totalSteps * rows * (window - 1);
        plan.put("steps", totalSteps).put("rows", rows).put("tokens_per_step", rows * (window - 1)).put("tokens", tokens)
                .put("epochs", clock.epochsAfter(totalSteps * rows)).put("flops_6nd", shape.trainingFlops(tokens));
        if (cfg.anneal() != null) m.set("parent", RunFiles.JSON.valueToTree(cfg.anneal()));
        m.put("seed", cfg.seed());
        m.put("code_version", BuildInfo.codeVersion());
        m.put("java", System.getProperty("java.version"));
        return m;
    }

    private static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "unknown";
        }
    }

    private static double minNaN(double a, double b) {
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
    }
}
