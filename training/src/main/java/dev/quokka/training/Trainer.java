package dev.quokka.training;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.Manifests;
import dev.quokka.dataprep.provenance.RunManifest;
import dev.quokka.dataprep.provenance.StudyManifest;
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
        /** An engine whose loss is the weighted cross-entropy, with causal or bidirectional attention. */
        Engine create(ModelShape shape, int rows, int length, boolean causal, AdamW adamW, long seed);

        /**
         * An engine for {@code objective}'s attention and loss. Engines that compute only the cross-entropy (this
         * default) refuse another loss.
         */
        default Engine create(ModelShape shape, int rows, int length, Objective objective, AdamW adamW, long seed) {
            if (objective.loss() != Objective.Loss.CROSS_ENTROPY) {
                throw new IllegalArgumentException("this engine trains cross-entropy losses only, not " + objective.loss().name().toLowerCase()
                        + " (--kernel uniform --weighting elbo trains on the single-process engine)");
            }
            return create(shape, rows, length, objective.causal(), adamW, seed);
        }
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
    private final StudyManifest study;
    private final String studySha256;
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
    private final RunManifest.Tokenizer tokenizerInfo;
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
        this.study = StudyManifest.read(sfs, studyDir);
        this.studySha256 = Manifests.sha256(AtomicOutput.readManifest(sfs, studyDir));
        this.source = SequenceSource.open(cfg.study(), conf);
        this.window = source.window();
        int length = window - 1;

        String tokPath = cfg.tokenizer() != null ? cfg.tokenizer() : study.tokenizer().uri();
        Tokenizer tokenizer = TokenizerFiles.load(tokPath, conf);
        String tokSha = TokenizerJson.sha256(tokenizer), studySha = study.tokenizer().sha256();
        if (!tokSha.equals(studySha)) {
            throw new IllegalArgumentException(tokPath + ": not the tokenizer " + cfg.study() + " was made with (SHA-256 " + tokSha + ", the study's " + studySha + ")");
        }
        int vocab = tokenizer.vocabSize();
        int maskId = -1;
        if (cfg.diffusion() && cfg.dlm().kernel() == Objective.Kernel.MASK) {
            maskId = tokenizer.specialTokens().maskId().orElseThrow(() -> new IllegalArgumentException(
                    tokPath + " has no mask token (" + SpecialTokens.MASK + "); the diffusion objective needs one"));
        }
        this.tokenizerInfo = new RunManifest.Tokenizer(tokPath, tokSha, vocab, maskId >= 0 ? maskId : null);
        this.objective = cfg.objective(maskId, vocab);
        this.shape = cfg.shape(vocab);
        if (cfg.batchTokens() % length != 0) {
            throw new IllegalArgumentException("--batch-tokens " + cfg.batchTokens() + " is not a multiple of the study's sequence length " + length);
        }
        this.rows = cfg.batchTokens() / length;
        this.clock = new EpochClock(source);
        this.totalSteps = totalSteps();
        this.validation = new Validation(StudyReader.validation(cfg.study(), conf), window, cfg.evaluation().sequences(), objective, cfg.evaluation().samples(), rows);
        this.configSha = Manifests.sha256(RunFiles.JSON.valueToTree(cfg));
        this.engine = factory.create(shape, rows, length, objective, cfg.optimiser(), cfg.seed());
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
        RunManifest m = files.typedManifest();
        if (m.complete() || "diverged".equals(m.status())) {
            throw new IllegalArgumentException(output + ": the run is " + m.status() + "; there is nothing to resume");
        }
        Trainer t = new Trainer(TrainConfig.of(m).withOutput(output), factory, conf, console);
        t.requireSameStudy(m);
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
    private void requireSameStudy(RunManifest run) {
        String recorded = run.study() == null ? null : run.study().manifestSha256();
        String now = studySha256;
        if (recorded != null && !recorded.isEmpty() && !recorded.equals(now)) {
            throw new IllegalArgumentException(cfg.study() + " has changed since " + cfg.output() + " was started on it (its manifest's SHA-256 is "
                    + now + ", the run recorded " + recorded + "); a run resumes only on the study it was trained on");
        }
    }

    /** The manifest of the run in {@code output} ({@link RunFiles}), or null if there is none. */
    public static RunManifest manifestOf(String output, Configuration conf) throws IOException {
        RunFiles files = new RunFiles(output, conf);
        return files.hasManifest() ? files.typedManifest() : null;
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
        double peak = TrainConfig.of(files.typedManifest()).schedule().lr();
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
    private RunManifest startSession(boolean resume, long start) throws IOException {
        // Every session of the run, in order: where each started shows what a kill or a retry cost.
        RunManifest.Session session = new RunManifest.Session(start, java.time.Instant.now().toString(),
                ProcessHandle.current().pid() + "@" + host(), RunFiles.JSON.valueToTree(engine.describe()));
        RunManifest manifest = manifest("running").withSessions(resume ? run.typedManifest() : null, session);
        run.writeManifest(manifest);
        return manifest;
    }

    /** What one session of training tracks as it goes: the losses so far, the stop rule's state, where it ends, and its timing. */
    private static final class Session {
        final long start;
        long end, step;
        double best = Double.NaN, lastVal = Double.NaN, lastTrain = Double.NaN;
        final StopRuleState turn;
        boolean stoppedByRule;
        long waitNanos, stepNanos;
        final long t0 = System.nanoTime();
        long lastPrint = t0;

        /** A session from {@code start}, knowing the metrics kept up to it. */
        Session(long start, long end, List<Metrics.Train> trainRows, List<Metrics.Eval> evalRows, TrainConfig.StopRule stop) {
            this.start = start;
            this.step = start;
            this.end = end;
            this.turn = new StopRuleState(stop);
            for (Metrics.Eval r : evalRows) {
                validated(r.loss());
                if (r.boundary()) turn.observe(r.step(), r.epoch(), r.loss());
            }
            if (!trainRows.isEmpty()) lastTrain = trainRows.get(trainRows.size() - 1).loss();
        }

        void validated(double loss) {
            lastVal = loss;
            best = minNaN(best, loss);
        }
    }

    private Summary train(boolean resume, long stopAfter) throws IOException {
        long start = restore(resume);
        RunManifest manifest = startSession(resume, start);
        // From step 0, nothing is kept: a run killed before its first checkpoint starts over, evaluation included.
        List<Metrics.Train> trainRows = start == 0 ? List.of() : Metrics.trainRows(run, start);
        List<Metrics.Eval> evalRows = start == 0 ? List.of() : Metrics.evalRows(run, start);
        Session s = new Session(start, stopAfter > 0 ? Math.min(stopAfter, totalSteps) : totalSteps, trainRows, evalRows, cfg.stop());
        LrSchedule lr = cfg.lrSchedule(totalSteps);
        CheckpointPolicy checkpoints = new CheckpointPolicy(cfg, totalSteps);
        ExecutorService prefetch = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "quokka-batches");
            t.setDaemon(true);
            return t;
        });
        try (Metrics metrics = new Metrics(run, trainRows, evalRows)) {
            if (start == 0 && cfg.anneal() == null) s.validated(evaluate(metrics, 0, 0, lr.at(0), false));
            console.printf("training %s %s (%,d parameters, papers' N %,d) on %s: %,d steps of %,d tokens, from step %,d%n",
                    cfg.objective(), shape, shape.parameters(), shape.papersParameters(), cfg.study(), totalSteps, rows * (window - 1), start);
            Future<Batch> next = start < s.end ? prefetch.submit(() -> batch(start)) : null;
            while (s.step < s.end) {
                // A round of steps ends where evaluation, a checkpoint or an epoch boundary needs the parameters.
                int k = roundLength(s.step, s.end);
                long before = System.nanoTime();
                List<Batch> batches = new ArrayList<>(k);
                double[] rates = new double[k];
                for (int i = 0; i < k; i++) {
                    long following = s.step + i + 1;
                    batches.add(next.get());
                    if (following < s.end) next = prefetch.submit(() -> batch(following));
                    rates[i] = lr.at(s.step + i);
                }
                s.waitNanos += System.nanoTime() - before;
                List<Engine.Step> results = engine.steps(batches, rates);
                long stepped = System.nanoTime() - before;
                s.stepNanos += stepped;
                for (int i = 0; i < k; i++, s.step++) afterStep(s, metrics, checkpoints, manifest, results.get(i), rates[i], stepped / 1e9 / k);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the study failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            prefetch.shutdownNow();
        }
        return finish(s, manifest);
    }

    /** Step {@code s.step} is done: its metrics, an evaluation where one is due, the stop rule, a checkpoint, progress. */
    private void afterStep(Session s, Metrics metrics, CheckpointPolicy checkpoints, RunManifest manifest, Engine.Step r, double rate,
                           double seconds) throws IOException {
        int length = window - 1;
        long done = s.step + 1, sequences = done * rows;
        if (!Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm())) {
            throw diverged(manifest, "step " + done + ": the loss is " + r.loss() + " and the gradient norm " + r.gradNorm()
                    + " at lr " + rate + "; stopped without saving. " + lastGood());
        }
        double epoch = clock.epochsAfter(sequences);
        s.lastTrain = r.loss();
        metrics.write(Metrics.Train.of(done, sequences * length, epoch, rate, r.loss(), r.gradNorm(), rows * length / seconds));

        boolean boundary = clock.boundariesCrossed(sequences - rows, sequences, done == totalSteps) > 0, newBest = false;
        if (boundary || (cfg.evaluation().every() > 0 && done % cfg.evaluation().every() == 0) || done == totalSteps) {
            s.validated(evaluate(metrics, done, sequences, rate, boundary));
            long previousBest = s.turn.bestStep();
            newBest = boundary && s.turn.observe(done, epoch, s.lastVal);
            // The stop rule keeps the best epoch's checkpoint; one it keeps for no other reason goes when superseded.
            if (newBest && checkpoints.dropsSupersededBest(previousBest)) {
                run.fs.delete(new Path(new Path(run.dir, Checkpoints.DIR), Checkpoints.name(previousBest)), true);
            }
            if (boundary && s.turn.turned() && done < s.end) {
                s.stoppedByRule = true;
                s.end = done; // ends this round and the loop, with a checkpoint here
            }
        }
        if (checkpoints.saves(done, boundary, newBest, s.end)) {
            // A resume keeps the metrics up to its checkpoint: they must be out of this process's buffers before the
            // checkpoint exists, or a killed executor takes them along.
            metrics.flush();
            Checkpoints.save(run.fs, run.dir, engine, new Checkpoints.Position(done, sequences, epoch, rate), configSha, lastWindows);
        }
        long now = System.nanoTime();
        if (now - s.lastPrint > 10e9 || done == s.end) {
            s.lastPrint = now;
            metrics.flush();
            double perSecond = (double) (done - s.start) * rows * length / ((now - s.t0) / 1e9);
            long etaSeconds = Math.round((totalSteps - done) * rows * length / perSecond);
            console.printf("step %,d/%,d  epoch %.2f  loss %.4f  val %.4f  lr %.2e  %,.0f tok/s  data wait %.1f%%  ETA %dm%02ds%n",
                    done, totalSteps, epoch, r.loss(), s.lastVal, rate, perSecond, 100.0 * s.waitNanos / s.stepNanos, etaSeconds / 60, etaSeconds % 60);
        }
    }

    /** The session's record in run.json, and its summary. */
    private Summary finish(Session s, RunManifest manifest) throws IOException {
        int length = window - 1;
        long step = s.step;
        double elapsed = (System.nanoTime() - s.t0) / 1e9;
        double tokensPerSecond = (step - s.start) * rows * length / elapsed, wait = s.stepNanos == 0 ? 0 : (double) s.waitNanos / s.stepNanos;
        boolean complete = step == totalSteps || s.stoppedByRule;
        RunManifest.StoppedByRule rule = null;
        if (s.stoppedByRule) {
            StopRuleState turn = s.turn;
            rule = new RunManifest.StoppedByRule(turn.bestEpoch(), turn.best(), turn.lastEpoch(), cfg.stop().margin(), cfg.stop().patience(),
                    new Path(new Path(run.dir, Checkpoints.DIR), Checkpoints.name(turn.bestStep())).toString());
            console.printf("%s: the validation loss stayed above %.1f%% over its best (epoch %.2f) for %d epochs: stopped at epoch %.2f%n",
                    cfg.output(), 100 * cfg.stop().margin(), turn.bestEpoch(), cfg.stop().patience(), turn.lastEpoch());
        }
        run.writeManifest(manifest.ended(complete ? "complete" : "stopped", new RunManifest.End(step, step * rows * length,
                clock.epochsAfter(step * rows), finite(s.lastTrain), finite(s.lastVal), finite(s.best), tokensPerSecond, wait,
                shape.trainingFlops(step * rows * length), rule)));
        return new Summary(cfg.output(), step, totalSteps, s.lastTrain, s.lastVal, s.best, tokensPerSecond, wait, complete);
    }

    /** A figure not measured yet (a branch stopped before its first evaluation) is left out, not written as "NaN". */
    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    private String lastGood() throws IOException {
        Path last = Checkpoints.latest(run.fs, run.dir);
        return last == null ? "The run has no checkpoint yet: start it again with other settings."
                : "Its last good checkpoint is " + last + " (an anneal branch can start from it).";
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
                || (cfg.evaluation().every() > 0 && done % cfg.evaluation().every() == 0)
                || (cfg.checkpoints().every() > 0 && done % cfg.checkpoints().every() == 0);
    }

    /** Records the divergence in the manifest, so that a sweep reports it instead of retrying a deterministic failure. */
    private Diverged diverged(RunManifest manifest, String message) throws IOException {
        run.writeManifest(manifest.diverged(message));
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

    private RunManifest manifest(String status) {
        RunManifest.Model model = new RunManifest.Model(shape.vocab(), shape.d(), shape.layers(), shape.heads(), shape.mlpHidden(), shape.tied(),
                shape.parameters(), shape.nonEmbeddingParameters(), shape.papersParameters(), shape.papersNonEmbeddingParameters());
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("name", cfg.objective());
        objective.describe(cfg.evaluation().samples()).forEach((k, v) -> o.set(k, RunFiles.JSON.valueToTree(v)));
        RunManifest.Study st = new RunManifest.Study(cfg.study(), studySha256, study.unique().tokens(), clock.epochs(), window - 1,
                source.sequences(), validation.windows(), study.fingerprint());
        long tokens = totalSteps * rows * (window - 1);
        RunManifest.Plan plan = new RunManifest.Plan(totalSteps, rows, rows * (window - 1), tokens, clock.epochsAfter(totalSteps * rows),
                shape.trainingFlops(tokens));
        return new RunManifest(FORMAT, status, RunFiles.JSON.valueToTree(cfg), configSha, model, o, st, tokenizerInfo, plan,
                cfg.anneal() == null ? null : RunFiles.JSON.valueToTree(cfg.anneal()), cfg.seed(), BuildInfo.codeVersion(),
                System.getProperty("java.version"), null, null, null, null, null);
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
