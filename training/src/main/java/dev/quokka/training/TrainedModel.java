package dev.quokka.training;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.dataprep.tokenize.TokenizerFiles;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** A run's latest checkpoint loaded into an engine of one row, with the run's tokenizer, for sampling. */
public record TrainedModel(Engine engine, TrainConfig config, JsonNode manifest, String checkpoint, Tokenizer tokenizer) {

    public static TrainedModel open(String runDir, Trainer.EngineFactory factory, Configuration conf) throws IOException {
        return open(runDir, factory, conf, null);
    }

    /** As {@link #open}, at the checkpoint of {@code step} (the latest when null). */
    public static TrainedModel open(String runDir, Trainer.EngineFactory factory, Configuration conf, Long step) throws IOException {
        RunFiles run = new RunFiles(runDir, conf);
        if (!run.hasManifest()) throw new IllegalArgumentException(runDir + ": not a run directory (no " + RunFiles.MANIFEST + ")");
        JsonNode m = run.manifest();
        TrainConfig cfg = RunFiles.JSON.treeToValue(m.get("config"), TrainConfig.class);
        JsonNode s = m.get("model");
        ModelShape shape = new ModelShape(s.get("vocab").asInt(), s.get("d").asInt(), s.get("layers").asInt(), s.get("heads").asInt(),
                s.get("mlp_hidden").asInt(), s.get("tied").asBoolean());
        Path latest = step == null ? Checkpoints.latest(run.fs, run.dir) : new Path(new Path(run.dir, Checkpoints.DIR), Checkpoints.name(step));
        if (latest == null) throw new IllegalArgumentException(runDir + " has no checkpoint yet");
        if (!run.fs.exists(latest)) throw new IllegalArgumentException(runDir + " has no checkpoint at step " + step + " (" + latest + ")");
        Engine engine = factory.create(shape, 1, m.get("study").get("seq_len").asInt(), !cfg.diffusion(), cfg.optimiser(), 0);
        Checkpoints.load(run.fs, latest, engine);
        return new TrainedModel(engine, cfg, m, latest.toString(), tokenizer(m, conf));
    }

    /** The tokenizer the run was trained with, from the URI its manifest records, checked against its hash. */
    private static Tokenizer tokenizer(JsonNode m, Configuration conf) throws IOException {
        String uri = m.path("tokenizer").path("uri").asText();
        Tokenizer t = TokenizerFiles.load(uri, conf);
        String sha = TokenizerJson.sha256(t), recorded = m.path("tokenizer").path("sha256").asText();
        if (!sha.equals(recorded)) throw new IllegalArgumentException(uri + " has changed since the run was trained (SHA-256 " + sha + ", the run's " + recorded + ")");
        return t;
    }
}
