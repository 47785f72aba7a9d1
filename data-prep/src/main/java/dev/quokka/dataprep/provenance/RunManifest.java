package dev.quokka.dataprep.provenance;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code run.json} of a training run ({@code quokka train}), rewritten whole as the run goes (docs/formats.md, "Run
 * directory"). The parts that belong to training's own types ({@code config}, the objective's description, an
 * engine's, an anneal branch's {@code parent}) are kept as the JSON those types write.
 *
 * @param status     {@code running}, {@code stopped} (by --stop-after or a kill), {@code complete} or {@code diverged}
 * @param sessions   every process that trained the run, in order
 * @param extensions each extension to a larger e_max, in order; null for a run never extended
 * @param error      why a diverged run diverged
 * @param end        the run's last state ({@code final} in the file), once a session has ended
 * @param branch     on an anneal branch an extension made of the run's old decay: what it was
 */
@JsonPropertyOrder({"format", "status", "config", "config_sha256", "model", "objective", "study", "tokenizer", "plan", "parent", "seed",
        "code_version", "java", "sessions", "extensions", "error", "final", "branch"}) // explicit names would otherwise go first
public record RunManifest(String format, String status, JsonNode config, String configSha256, Model model, JsonNode objective,
                          Study study, Tokenizer tokenizer, Plan plan, JsonNode parent, long seed, String codeVersion, String java,
                          List<Session> sessions, List<Extension> extensions, String error, @JsonProperty("final") End end,
                          String branch) {

    /** The model's shape and its size in both conventions. */
    @JsonPropertyOrder({"vocab", "d", "layers", "heads", "mlp_hidden", "tied", "parameters", "non_embedding_parameters", "papers_n",
            "papers_n_non_embedding"})
    public record Model(int vocab, int d, int layers, int heads, int mlpHidden, boolean tied, long parameters, long nonEmbeddingParameters,
                        @JsonProperty("papers_n") long papersN, @JsonProperty("papers_n_non_embedding") long papersNNonEmbedding) {}

    /** The study the run read, by its manifest's hash, and the fingerprint a longer study must match to extend it. */
    public record Study(String path, String manifestSha256, long uniqueTokens, int epochs, int seqLen, long sequences, int validationWindows,
                        StudyManifest.Fingerprint fingerprint) {}

    /** @param maskId the diffusion objective's mask token; null for AR */
    public record Tokenizer(String uri, String sha256, int vocabSize, Integer maskId) {}

    @JsonPropertyOrder({"steps", "rows", "tokens_per_step", "tokens", "epochs", "flops_6nd"})
    public record Plan(long steps, long rows, long tokensPerStep, long tokens, double epochs, @JsonProperty("flops_6nd") double flops6nd) {}

    /** @param process {@code pid@host} */
    public record Session(long fromStep, String startedAt, String process, JsonNode engine) {}

    /** @param oldDecay the anneal branch the run's decay before this extension became */
    public record Extension(double fromEpochs, double toEpochs, long fromStep, String study, String oldDecay, String at) {}

    /** Losses not measured yet (a branch stopped before its first evaluation) are null, so absent, not "NaN". */
    public record End(long step, long tokens, double epoch, Double trainLoss, Double valLoss, Double bestValLoss, double tokensPerSecond,
                      double dataWaitShare, double flops, StoppedByRule stoppedByRule) {}

    public record StoppedByRule(double bestEpoch, double bestValLoss, double stoppedAtEpoch, double margin, int patience,
                                String bestCheckpoint) {}

    public boolean complete() {
        return "complete".equals(status);
    }

    /** Whether the run ended by its stop rule (then it has turned and is never extended). */
    public boolean stoppedByRule() {
        return end != null && end.stoppedByRule() != null;
    }

    public RunManifest withConfig(JsonNode config) {
        return new RunManifest(format, status, config, configSha256, model, objective, study, tokenizer, plan, parent, seed, codeVersion, java,
                sessions, extensions, error, end, branch);
    }

    /** This session's manifest: the earlier sessions and extensions of {@code before} (if resumed), then {@code session}. */
    public RunManifest withSessions(RunManifest before, Session session) {
        List<Session> all = new ArrayList<>(before == null || before.sessions() == null ? List.of() : before.sessions());
        all.add(session);
        return new RunManifest(format, status, config, configSha256, model, objective, study, tokenizer, plan, parent, seed, codeVersion, java,
                all, before == null ? null : before.extensions(), error, end, branch);
    }

    public RunManifest withExtension(Extension e) {
        List<Extension> all = new ArrayList<>(extensions == null ? List.of() : extensions);
        all.add(e);
        return new RunManifest(format, status, config, configSha256, model, objective, study, tokenizer, plan, parent, seed, codeVersion, java,
                sessions, all, error, end, branch);
    }

    public RunManifest ended(String status, End end) {
        return new RunManifest(format, status, config, configSha256, model, objective, study, tokenizer, plan, parent, seed, codeVersion, java,
                sessions, extensions, error, end, branch);
    }

    public RunManifest diverged(String error) {
        return new RunManifest(format, "diverged", config, configSha256, model, objective, study, tokenizer, plan, parent, seed, codeVersion,
                java, sessions, extensions, error, end, branch);
    }

    /** The run's old decay as an anneal branch of it: its own config and parent, and what it was. */
    public RunManifest asBranch(JsonNode config, JsonNode parent, String branch) {
        return new RunManifest(format, status, config, configSha256, model, objective, study, tokenizer, plan, parent, seed, codeVersion, java,
                sessions, extensions, error, end, branch);
    }
}
