package dev.quokka.training;

import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.Manifests;
import dev.quokka.dataprep.provenance.RunManifest;
import dev.quokka.dataprep.provenance.StudyManifest;
import dev.quokka.dataprep.study.SequenceSource;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;

/**
 * Extending a complete warmup-stable-decay run to more epochs, so that it ends as a run trained to them from the
 * start would, bit for bit. What makes it possible: the warmup is a number of steps, the stable phase's learning
 * rate is constant, and the batch and noise of step s depend only on (study, seed, s); so up to the old decay's
 * first step S the old run and a longer one are the same run. The extension
 * <ol>
 *   <li>checks the study: the run's own, or a longer one with the same fingerprint (unique tokens, validation set,
 *   seed, L, tokenizer), whose epochs before the old study's last hold the same sequences;</li>
 *   <li>keeps the old decay as an anneal branch, {@code branches/decay-e<E>/}: a run directory (its run.json names
 *   this run and step S as its parent) with the metrics after S, the checkpoint at S and those after it;</li>
 *   <li>removes from the run the checkpoints after S (and S's own unless the longer run would keep one there),
 *   records the extension in run.json, and returns the config to train on and the checkpoint to start from.</li>
 * </ol>
 * Each step can be repeated: a preparation killed halfway is finished by running the extension again.
 */
final class RunExtension {
    /** What to train: the extended config, from {@code resumeFrom} (the branch's copy of step S). */
    record Plan(TrainConfig config, Path resumeFrom) {}

    private RunExtension() {}

    static Plan prepare(String output, double epochs, String newStudy, Configuration conf, PrintStream console) throws IOException {
        RunFiles run = new RunFiles(output, conf);
        if (!run.hasManifest()) throw new IllegalArgumentException(output + ": no run to extend (no " + RunFiles.MANIFEST + ")");
        RunManifest m = run.typedManifest();
        TrainConfig old = TrainConfig.of(m).withOutput(output);
        refuseWhatCannotBeExtended(output, m, old, epochs);

        String studyPath = newStudy != null ? newStudy : old.study();
        TrainConfig extended = old.extendedTo(epochs, studyPath);
        int oldStudyEpochs = m.study().epochs();
        boolean sameStudy = requireCompatibleStudy(output, m, studyPath, conf);

        long total = m.plan().steps(), rows = m.plan().rows();
        long decayStart = old.decayStart(total);
        long safe = decayStart;
        if (!sameStudy) {
            // The old study's last epoch was cut where its stream ended; only the epochs before it are the same.
            EpochClock clock = new EpochClock(SequenceSource.open(studyPath, conf));
            safe = Math.min(safe, clock.firstSequence(Math.max(0, oldStudyEpochs - 1)) / rows);
        }
        String label = label(old.epochs());
        Path branch = new Path(run.dir, "branches/decay-e" + label);
        Path from = branchCheckpoint(run, branch, safe);
        if (from == null) {
            throw new IllegalArgumentException(output + " has no checkpoint of its stable phase at or before step " + safe
                    + " to extend from (it keeps one where its decay begins since this version; older runs need --checkpoint-epochs)");
        }
        long s = Checkpoints.info(run.fs, from).get("step").asLong();
        if (!run.fs.exists(new Path(branch, RunFiles.MANIFEST))) makeBranch(run, m, old, branch, from, s, total);
        Path resumeFrom = new Path(new Path(branch, Checkpoints.DIR), Checkpoints.name(s));

        // The run keeps what a run trained to the new end would have: its checkpoints up to S, S's only if regular.
        for (FileStatus c : checkpoints(run, run.dir)) {
            long step = step(c.getPath());
            if (step > s || (step == s && !regular(extended, step, rows, conf))) run.fs.delete(c.getPath(), true);
        }
        RunManifest.Extension extension = new RunManifest.Extension(old.epochs(), epochs, s, studyPath, branch.toString(),
                java.time.Instant.now().toString());
        run.writeManifest(m.withConfig(RunFiles.JSON.valueToTree(extended)).ended("running", null).withExtension(extension));
        console.printf("extending %s from %s to %s epochs: from step %,d, the end of its stable phase; its decay is kept as %s%n",
                output, label, label(epochs), s, branch);
        return new Plan(extended, resumeFrom);
    }

    private static void refuseWhatCannotBeExtended(String output, RunManifest m, TrainConfig old, double epochs) {
        String status = m.status();
        if (m.stoppedByRule()) {
            RunManifest.StoppedByRule rule = m.end().stoppedByRule();
            throw new IllegalArgumentException(output + " was stopped by its rule at epoch " + rule.stoppedAtEpoch()
                    + ", past its best at epoch " + rule.bestEpoch() + ": it has turned, so more epochs would only overfit");
        }
        if (!m.complete()) {
            throw new IllegalArgumentException(output + ": the run is " + status + "; only a complete run can be extended"
                    + (status.equals("running") || status.equals("stopped") ? " (finish it with --resume first)" : ""));
        }
        if (old.anneal() != null) throw new IllegalArgumentException(output + " is an anneal branch; extend the run it branched from");
        if (!old.schedule().shape().equals("wsd")) {
            throw new IllegalArgumentException(output + " has a " + old.schedule().shape() +  " schedule, which depends on where the run ends; only a "
                    + "warmup-stable-decay run (--schedule wsd) can be extended");
        }
        if (old.schedule().warmupSteps() == 0 && old.schedule().warmup() > 0) {
            throw new IllegalArgumentException(output + " warms up over a share of its length (--warmup " + old.schedule().warmup() + "), so its stable "
                    + "phase depends on where it ends; train it with --warmup-steps to make it extendable");
        }
        if (old.diffusion() && old.dlm().curriculum() != null) {
            throw new IllegalArgumentException(output + " has a noise curriculum over the share of training done, which depends on where "
                    + "the run ends; it cannot be extended");
        }
        double had = old.epochs();
        if (!(epochs > had)) throw new IllegalArgumentException("--extend-to " + epochs + ": " + output + " was trained to " + label(had) + " epochs already");
    }

    /** Whether {@code studyPath} is the run's own study; refuses one whose sequences would differ. */
    private static boolean requireCompatibleStudy(String output, RunManifest m, String studyPath, Configuration conf) throws IOException {
        Path dir = new Path(studyPath);
        var fs = dir.getFileSystem(conf);
        if (!AtomicOutput.isComplete(fs, dir)) throw new IllegalArgumentException(studyPath + " is not a complete study (no _SUCCESS)");
        if (Manifests.sha256(AtomicOutput.readManifest(fs, dir)).equals(m.study().manifestSha256())) return true;
        StudyManifest.Fingerprint f = m.study().fingerprint();
        if (f == null) {
            throw new IllegalArgumentException(studyPath + " is not the study " + output + " was trained on, and the run predates study "
                    + "fingerprints, so no other can be checked against it");
        }
        List<String> differ = f.differences(StudyManifest.read(fs, dir).fingerprint());
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException(studyPath + " differs from the study " + output + " was trained on in its " + String.join(", ", differ)
                    + ": its sequences are not the run's");
        }
        return false;
    }

    /** The checkpoint to extend from: the branch's copy, once made; else the run's latest at or before {@code safe}. */
    private static Path branchCheckpoint(RunFiles run, Path branch, long safe) throws IOException {
        Path best = null;
        for (Path dir : List.of(new Path(branch, Checkpoints.DIR), new Path(run.dir, Checkpoints.DIR))) {
            if (!run.fs.exists(dir)) continue;
            for (FileStatus c : run.fs.listStatus(dir, p -> p.getName().startsWith("step-"))) {
                long step = step(c.getPath());
                if (step <= safe && (best == null || step > step(best))) best = c.getPath();
            }
        }
        return best;
    }

    /** The old decay as an anneal branch of step S, staged beside the run and renamed into place. */
    private static void makeBranch(RunFiles run, RunManifest m, TrainConfig old, Path branch, Path from, long s, long total) throws IOException {
        Path staging = new Path(branch.getParent(), "." + branch.getName() + ".staging");
        run.fs.delete(staging, true);
        run.fs.mkdirs(new Path(staging, Checkpoints.DIR));
        FileUtil.copy(run.fs, from, run.fs, new Path(new Path(staging, Checkpoints.DIR), from.getName()), false, run.fs.getConf());
        for (FileStatus c : checkpoints(run, run.dir)) {
            if (step(c.getPath()) > s) FileUtil.copy(run.fs, c.getPath(), run.fs, new Path(new Path(staging, Checkpoints.DIR), c.getPath().getName()), false, run.fs.getConf());
        }
        RunFiles b = new RunFiles(staging.toString(), run.fs.getConf());
        List<Metrics.Train> train = Metrics.trainRows(run, Long.MAX_VALUE).stream().filter(r -> r.step() > s).toList();
        List<Metrics.Eval> eval = Metrics.evalRows(run, Long.MAX_VALUE).stream().filter(r -> r.step() > s).toList();
        try (Metrics branchMetrics = new Metrics(b, train, eval)) {
            branchMetrics.flush();
        }
        double lrAtS = Checkpoints.info(run.fs, from).get("lr").asDouble();
        TrainConfig.Anneal parent = new TrainConfig.Anneal(run.dir.toString(), new Path(branch, Checkpoints.DIR + "/" + from.getName()).toString(),
                s, lrAtS, total - s);
        TrainConfig asBranch = old.toBuilder().output(branch.toString()).anneal(parent).stop(null).build();
        b.writeManifest(m.asBranch(RunFiles.JSON.valueToTree(asBranch), RunFiles.JSON.valueToTree(parent),
                "the decay of " + run.dir + " as it was before it was extended past " + label(old.epochs()) + " epochs"));
        if (!run.fs.rename(staging, branch)) throw new IOException("could not rename " + staging + " to " + branch);
    }

    /** Whether a run of {@code cfg} keeps a checkpoint at {@code step} as a matter of course (not only as an end). */
    private static boolean regular(TrainConfig cfg, long step, long rows, Configuration conf) throws IOException {
        // Whether the step is an epoch boundary matters only with --checkpoint-epochs; the study is read only then.
        boolean boundary = cfg.checkpoints().epochs()
                && new EpochClock(SequenceSource.open(cfg.study(), conf)).boundariesCrossed((step - 1) * rows, step * rows) > 0;
        return new CheckpointPolicy(cfg, Long.MAX_VALUE).regular(step, boundary);
    }

    private static List<FileStatus> checkpoints(RunFiles run, Path dir) throws IOException {
        Path d = new Path(dir, Checkpoints.DIR);
        return run.fs.exists(d) ? List.of(run.fs.listStatus(d, p -> p.getName().startsWith("step-"))) : List.of();
    }

    private static long step(Path checkpoint) {
        return Long.parseLong(checkpoint.getName().substring("step-".length()));
    }

    static String label(double epochs) {
        return epochs == Math.rint(epochs) ? Long.toString((long) epochs) : Double.toString(epochs);
    }
}
