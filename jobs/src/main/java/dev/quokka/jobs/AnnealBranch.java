package dev.quokka.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.training.LrSchedule;
import dev.quokka.training.TrainConfig;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The config of a decay branch: its parent's, forked at a checkpoint, decaying from the lr it had there. */
final class AnnealBranch {
    private AnnealBranch() {}

    static TrainConfig config(String checkpoint, long steps, double minLr, LrSchedule.Decay decay, String output, Configuration conf) throws IOException {
        if (steps <= 0) throw new IllegalArgumentException("--anneal-steps must be positive");
        Path ckpt = new Path(checkpoint);
        Path parentRun = ckpt.getParent().getParent();
        FileSystem fs = ckpt.getFileSystem(conf);
        ObjectMapper json = new ObjectMapper();
        JsonNode info, parent;
        try (var in = fs.open(new Path(ckpt, "checkpoint.json"))) {
            info = json.readTree(in);
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException(checkpoint + ": not a checkpoint (no checkpoint.json)");
        }
        try (var in = fs.open(new Path(parentRun, "run.json"))) {
            parent = json.readTree(in);
        }
        TrainConfig p = json.treeToValue(parent.get("config"), TrainConfig.class);
        TrainConfig c = new TrainConfig(p.study(), output, p.objective(), p.model(), p.batchTokens(), p.lr(), minLr, p.schedule(), p.warmup(),
                p.decayFraction(), decay, p.adamW(), p.epochs(), p.evalEvery(), p.valSequences(), p.valSamples(), p.maskSchedule(),
                p.weighting(), p.tFloor(), p.seed(), false, 0, p.tokenizer(), null);
        return c.withAnneal(new TrainConfig.Anneal(parentRun.toString(), ckpt.toString(), info.get("step").asLong(), info.get("lr").asDouble(), steps));
    }
}
