package dev.quokka.jobs.study;

import dev.quokka.dataprep.provenance.RunManifest;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import dev.quokka.training.Batch;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.RunBatch;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.Trainer;
import dev.quokka.training.engines.Engines;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.resource.ResourceInformation;

/**
 * A group of runs of a sweep, as one Spark task: on the executor, it takes the task's CPUs and GPU, then trains each
 * run from the start, or resumes it from its latest checkpoint when the run directory already holds it (a retried
 * task, an executor lost, a sweep run again). Failures that a retry cannot mend (a bad config, a diverged run) come
 * back as a failed outcome; anything else is thrown, and Spark retries the task, which resumes every run of it.
 *
 * <p>A group of one run alone trains on the single-run engine. A batched group ({@code --batch-runs}) trains its runs
 * at once, each by its own Trainer on its own thread, through one batched engine ({@link Engines#batched}): a run's
 * curve then does not depend on which runs share its batch, and every run of a batched sweep is trained that way,
 * even alone in its group, so that its curve does not depend on the grouping either.
 */
public final class SweepTask implements Function<SweepTask.Group, List<SweepTask.Outcome>> {
    private static final long serialVersionUID = 1L;

    /** The runs of one task; {@code batched}: through one batched engine, even when there is only one. */
    public record Group(List<Work> runs, boolean batched) implements Serializable {
        public Group {
            runs = List.copyOf(runs);
            if (runs.isEmpty() || (!batched && runs.size() > 1)) throw new IllegalArgumentException("a task trains one run, or a batch of runs");
        }

        String name() {
            return String.join(", ", runs.stream().map(Work::run).toList());
        }
    }

    /**
     * A run to train; {@code extend}: the run directory holds a complete run of this config but for fewer epochs,
     * to be extended to {@code config.epochs()}. {@code fault} is null but in tests, {@code stopAfter} 0 but in benchmarks.
     */
    public record Work(String run, TrainConfig config, SerializableConfiguration hadoop, Fault fault, long stopAfter, boolean extend) implements Serializable {}

    /**
     * The fault-injection hook: the first {@code attempts} attempts of {@code run}'s task die just before {@code step},
     * leaving what they had checkpointed: by an exception, as a task that fails does, or, with {@code halt}, by
     * halting the task's JVM at once (no shutdown hooks, no flushes), as {@code kill -9} of an executor would.
     */
    public record Fault(String run, long step, int attempts, boolean halt) implements Serializable {
        public static final String SYNTAX = "RUN@STEP[xATTEMPTS][:halt]";

        /** {@link #SYNTAX}, as the hidden --inject-fault options take it; null for null. */
        public static Fault parse(String spec) {
            if (spec == null) return null;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(.+)@(\\d+)(?:x(\\d+))?(:halt)?").matcher(spec);
            if (!m.matches()) throw new IllegalArgumentException("--inject-fault takes " + SYNTAX + ", not " + spec);
            return new Fault(m.group(1), Long.parseLong(m.group(2)), m.group(3) == null ? 1 : Integer.parseInt(m.group(3)), m.group(4) != null);
        }

        /** Refuses a fault that names no run of the plan: it would silently test nothing. */
        public Fault requireIn(SweepPlan plan) {
            if (plan.runs().stream().noneMatch(r -> r.name().equals(run))) {
                throw new IllegalArgumentException("--inject-fault: the sweep has no run named " + run + " (its runs: "
                        + String.join(", ", plan.runs().stream().map(SweepPlan.Run::name).toList()) + ")");
            }
            return this;
        }
    }

    /** What a task did: "trained", "resumed" or "failed", with the reason; the session's figures when it trained. */
    public record Outcome(String run, String action, String error, int attempt, Trainer.Summary summary) implements Serializable {
        Outcome(String run, String action, String error, int attempt) {
            this(run, action, error, attempt, null);
        }
    }

    /** Thrown by the fault-injection hook. */
    static final class InjectedFault extends RuntimeException {
        InjectedFault(String message) {
            super(message);
        }
    }

    @Override
    public List<Outcome> call(Group g) throws Exception {
        TaskContext task = TaskContext.get();
        int attempt = task.attemptNumber();
        scala.Option<ResourceInformation> gpu = task.resources().get("gpu");
        Engines.prepare(task.cpus(), gpu.isDefined() ? Arrays.asList(gpu.get().addresses()) : List.of(), System.getenv("CUDA_VISIBLE_DEVICES"));
        if (!g.batched()) return List.of(train(g.runs().get(0), Engines.singleProcess(), attempt));

        RunBatch batch = Engines.batched(g.runs().size());
        ExecutorService threads = Executors.newFixedThreadPool(g.runs().size());
        try {
            List<Future<Outcome>> running = new ArrayList<>();
            for (int i = 0; i < g.runs().size(); i++) {
                int slot = i;
                running.add(threads.submit(() -> {
                    try {
                        return train(g.runs().get(slot), batch.slot(slot), attempt);
                    } finally {
                        batch.leave(slot); // done, stopped or failed: the others go on without it
                    }
                }));
            }
            // Every run is waited for: one that dies leaves the batch, and the others finish before the task fails.
            List<Outcome> outcomes = new ArrayList<>();
            Exception failure = null;
            for (Future<Outcome> f : running) {
                try {
                    outcomes.add(f.get());
                } catch (ExecutionException e) {
                    if (failure == null) failure = e.getCause() instanceof Exception cause ? cause : e;
                }
            }
            // Not a run's own failure: the task fails, and Spark's retry resumes the group's unfinished runs.
            if (failure != null) throw failure;
            return outcomes;
        } finally {
            threads.shutdownNow();
        }
    }

    /** One run on this executor, with {@code engines}. */
    private static Outcome train(Work w, Trainer.EngineFactory engines, int attempt) throws IOException {
        Configuration conf = w.hadoop().get();
        if (w.fault() != null && attempt < w.fault().attempts()) engines = failingAt(engines, w.fault());
        PrintStream console = prefixed("[" + w.run() + "] ");
        RunManifest existing = Trainer.manifestOf(w.config().output(), conf);
        if (existing != null && existing.complete() && TrainConfig.of(existing).epochs() >= w.config().epochs()) {
            // Finished by an earlier attempt of this task, which another run of its batch failed.
            return new Outcome(w.run(), w.extend() ? "extended" : "trained", null, attempt);
        }
        // A retried extension finds the run already moved to its new end, and resumes it.
        boolean extend = w.extend() && existing != null && existing.complete();
        boolean resume = existing != null && !extend;
        try {
            Trainer.Summary s = extend ? Trainer.extend(w.config().output(), w.config().epochs(), w.config().study(), engines, conf, w.stopAfter(), console)
                    : resume ? Trainer.resume(w.config().output(), engines, conf, w.stopAfter(), console)
                    : Trainer.run(w.config(), engines, conf, w.stopAfter(), console);
            return new Outcome(w.run(), w.extend() ? "extended" : resume ? "resumed" : "trained", null, attempt, s);
        } catch (Trainer.Diverged | IllegalArgumentException e) {
            return new Outcome(w.run(), "failed", e.getMessage(), attempt);
        } finally {
            console.flush();
        }
    }

    /**
     * Whether the run directory holds a complete run of {@code planned} but for fewer epochs, one that has not turned
     * by its stop rule: a sweep with a larger e_max extends it rather than training it again.
     */
    static boolean extendable(RunManifest manifest, TrainConfig planned) {
        TrainConfig existing = TrainConfig.of(manifest);
        return manifest.complete() && !manifest.stoppedByRule()
                && existing.epochs() < planned.epochs() && existing.extendedTo(planned.epochs(), planned.study()).equals(planned);
    }

    /** Outcomes of runs whose directories say all there is to say, without a task. */
    static Outcome fromManifest(String run, RunManifest manifest, TrainConfig planned) {
        String status = manifest.status();
        TrainConfig existing = TrainConfig.of(manifest);
        if (extendable(manifest, planned)) return null;
        // Grown past the spec's e_max by an earlier sweep (extend_while_improving): done, or to be resumed.
        boolean grown = existing.epochs() > planned.epochs() && planned.extendedTo(existing.epochs(), existing.study()).equals(existing);
        if (grown) return status.equals("complete") ? new Outcome(run, "skipped", null, -1) : status.equals("diverged")
                ? new Outcome(run, "failed", Objects.requireNonNullElse(manifest.error(), "diverged"), -1) : null;
        if (!existing.equals(planned)) {
            return new Outcome(run, "failed", "the run directory holds a run with another config (" + SweepJob.differences(existing, planned)
                    + "); move it away, or give the sweep another --output", -1);
        }
        if (status.equals("diverged")) return new Outcome(run, "failed", Objects.requireNonNullElse(manifest.error(), "diverged"), -1);
        if (status.equals("complete")) return new Outcome(run, "skipped", null, -1);
        return null;
    }

    private static Trainer.EngineFactory failingAt(Trainer.EngineFactory inner, Fault fault) {
        return (shape, rows, length, causal, adamW, seed) -> {
            Engine e = inner.create(shape, rows, length, causal, adamW, seed);
            return new Engine() {
                @Override public ModelShape shape() { return e.shape(); }
                @Override public int rows() { return e.rows(); }
                @Override public int length() { return e.length(); }
                @Override public double lossSum(Batch batch) { return e.lossSum(batch); }
                @Override public float[] logits(int[] inputs) { return e.logits(inputs); }
                @Override public long updates() { return e.updates(); }
                @Override public void save(DataOutputStream out) throws IOException { e.save(out); }
                @Override public void load(DataInputStream in) throws IOException { e.load(in); }

                @Override
                public Step step(Batch batch, double lr) {
                    if (e.updates() + 1 == fault.step()) {
                        if (fault.halt()) Runtime.getRuntime().halt(137);
                        throw new InjectedFault("injected fault: the task dies before step " + fault.step());
                    }
                    return e.step(batch, lr);
                }
            };
        };
    }

    /** Executor output, each line marked with its run: several runs share one console in local mode. */
    private static PrintStream prefixed(String prefix) {
        return new PrintStream(new OutputStream() {
            private final StringBuilder line = new StringBuilder();
            private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

            @Override
            public void write(int b) {
                if (b != '\n') {
                    bytes.write(b);
                    return;
                }
                line.setLength(0);
                line.append(prefix).append(bytes.toString(StandardCharsets.UTF_8));
                bytes.reset();
                System.out.println(line);
            }
        }, true, StandardCharsets.UTF_8);
    }
}
