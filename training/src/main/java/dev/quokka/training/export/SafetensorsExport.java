package dev.quokka.training.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.BuildInfo;
import dev.quokka.tokenizer.TokenizerJson;
import dev.quokka.training.Engine;
import dev.quokka.training.ModelShape;
import dev.quokka.training.Objective;
import dev.quokka.training.TrainedModel;
import dev.quokka.training.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * {@code quokka export safetensors}: a run's checkpoint as {@code model.safetensors} ({@link Safetensors}), with
 * {@code config.json} describing the architecture and the run's {@code tokenizer.json}, so that the model can be
 * loaded in PyTorch. Tensors keep the engine's layout, matrices as [in, out] (y = x W; transpose them for
 * {@code torch.nn.Linear}), under descriptive names ({@link #NAMES}).
 */
public final class SafetensorsExport {
    /** The engine's parameter names (Transformer.parameterShapes) and the exported ones, both ways. */
    static final Map<String, String> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put("embedding", "embedding.weight");
        NAMES.put("attnNorm", "attention_norm.weight");
        NAMES.put("wq", "attention.wq.weight");
        NAMES.put("qNorm", "attention.q_norm.weight");
        NAMES.put("wk", "attention.wk.weight");
        NAMES.put("kNorm", "attention.k_norm.weight");
        NAMES.put("wv", "attention.wv.weight");
        NAMES.put("wo", "attention.wo.weight");
        NAMES.put("mlpNorm", "mlp_norm.weight");
        NAMES.put("wGate", "mlp.gate.weight");
        NAMES.put("wUp", "mlp.up.weight");
        NAMES.put("wDown", "mlp.down.weight");
        NAMES.put("finalNorm", "final_norm.weight");
        NAMES.put("output", "output.weight");
    }

    private static final Pattern LAYER = Pattern.compile("l(\\d+)\\.(\\w+)");
    private static final Pattern EXPORTED_LAYER = Pattern.compile("layers\\.(\\d+)\\.(.+)");

    private SafetensorsExport() {}

    /** The exported name of an engine parameter: {@code l3.wq} is {@code layers.3.attention.wq.weight}. */
    static String exported(String engineName) {
        Matcher m = LAYER.matcher(engineName);
        if (m.matches()) return "layers." + m.group(1) + "." + known(m.group(2));
        return known(engineName);
    }

    /** The engine's name of an exported tensor (the inverse of {@link #exported}). */
    public static String engineName(String exported) {
        Matcher m = EXPORTED_LAYER.matcher(exported);
        String local = m.matches() ? m.group(2) : exported;
        String name = NAMES.entrySet().stream().filter(e -> e.getValue().equals(local)).map(Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no parameter is exported as " + exported));
        return m.matches() ? "l" + m.group(1) + "." + name : name;
    }

    private static String known(String name) {
        String n = NAMES.get(name);
        if (n == null) throw new IllegalStateException("no exported name for the parameter " + name);
        return n;
    }

    /** What was written. */
    public record Result(String output, String checkpoint, int tensors, long parameters) {}

    public static Result run(String runDir, Long step, String output, Trainer.EngineFactory engines, Configuration conf) throws IOException {
        AtomicOutput out = new AtomicOutput(output, conf);
        TrainedModel model = TrainedModel.open(runDir, engines, conf, step);
        Map<String, Engine.Weights> tensors = new LinkedHashMap<>();
        long parameters = 0;
        for (Map.Entry<String, Engine.Weights> p : model.engine().parameters().entrySet()) {
            tensors.put(exported(p.getKey()), p.getValue());
            parameters += p.getValue().values().length;
        }
        ModelShape s = model.engine().shape();
        boolean dlm = model.config().diffusion();
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("architecture", "pre-norm transformer: RMSNorm, rotary position embeddings, RMSNorm on queries and keys, SwiGLU MLP, no biases");
        boolean uniform = dlm && model.config().dlm().kernel() == Objective.Kernel.UNIFORM;
        config.put("objective", !dlm ? "autoregressive (ar)" : uniform ? "uniform-state diffusion (dlm, --kernel uniform)" : "masked diffusion (dlm)");
        config.put("attention", dlm ? "bidirectional" : "causal");
        config.put("vocab_size", s.vocab());
        config.put("d_model", s.d());
        config.put("n_layers", s.layers());
        config.put("n_heads", s.heads());
        config.put("head_dim", s.headDim());
        config.put("mlp_hidden", s.mlpHidden());
        config.put("norm", "rmsnorm");
        config.put("norm_eps", ModelShape.NORM_EPS);
        config.put("rope_base", ModelShape.ROPE_BASE);
        config.put("tied_embeddings", s.tied());
        config.put("max_positions", model.manifest().path("study").path("seq_len").asInt());
        model.tokenizer().specialTokens().maskId().ifPresent(id -> config.put("mask_token_id", id));
        config.put("matrix_layout", "[in, out]: y = x @ W (transpose for torch.nn.Linear); embedding [vocab, d_model]; output [d_model, vocab]");
        config.put("dtype", "float32");
        config.put("source_run", runDir);
        config.put("source_checkpoint", model.checkpoint());
        config.put("code_version", BuildInfo.codeVersion());

        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("source_checkpoint", model.checkpoint());
        ByteArrayOutputStream weights = new ByteArrayOutputStream();
        Safetensors.write(weights, tensors, metadata);
        out.begin();
        try {
            out.writeBytes("model.safetensors", weights.toByteArray());
            out.writeText("config.json", json.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            String tokenizer = model.manifest().path("tokenizer").path("uri").asText();
            Path t = new Path(tokenizer);
            try (InputStream in = t.getFileSystem(conf).open(t)) {
                out.writeBytes("tokenizer.json", in.readAllBytes());
            }
            ObjectNode manifest = json.createObjectNode();
            manifest.put("format", "quokka.export.safetensors/1");
            manifest.put("run", runDir);
            manifest.put("checkpoint", model.checkpoint());
            manifest.put("tensors", tensors.size());
            manifest.put("parameters", parameters);
            manifest.put("tokenizer_sha256", TokenizerJson.sha256(model.tokenizer()));
            manifest.put("code_version", BuildInfo.codeVersion());
            out.commit(manifest);
        } catch (RuntimeException | IOException e) {
            out.abort();
            throw e;
        }
        return new Result(out.target(), model.checkpoint(), tensors.size(), parameters);
    }
}
