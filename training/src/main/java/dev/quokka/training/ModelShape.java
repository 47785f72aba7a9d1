package dev.quokka.training;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of the pre-norm transformer: vocabulary V, width d, layers L, heads H, SwiGLU hidden size h_f, and whether
 * the output projection is tied to the embedding. No biases anywhere; RMSNorm gains before attention and MLP, a final
 * RMSNorm, and QK-norm gains of one head's width for queries and keys.
 */
public record ModelShape(int vocab, int d, int layers, int heads, int mlpHidden, boolean tied) {
    /** The RMSNorm epsilon and the rotary embeddings' base, the same for every shape (docs/objective.md). */
    public static final double NORM_EPS = 1e-6, ROPE_BASE = 10_000;

    public ModelShape {
        if (vocab <= 0 || d <= 0 || layers <= 0 || heads <= 0 || mlpHidden <= 0) throw new IllegalArgumentException("shape sizes must be positive: " + this);
        if (d % heads != 0) throw new IllegalArgumentException("d = " + d + " is not divisible by " + heads + " heads");
        if ((d / heads) % 2 != 0) throw new IllegalArgumentException("rotary embeddings need an even head width, not " + d / heads);
    }

    /** The SwiGLU hidden size the papers use: about 8d/3, rounded up to a multiple of 64. */
    public static int defaultMlpHidden(int d) {
        return (int) Math.ceil(8.0 * d / 3 / 64) * 64;
    }

    public static ModelShape of(int vocab, int d, int layers, int heads) {
        return new ModelShape(vocab, d, layers, heads, defaultMlpHidden(d), false);
    }

    /**
     * Named presets from about 0.4M to 26M non-embedding parameters (papers' N without V d), all with 64-wide heads:
     * tiny 0.4M, mini 1.8M, small 4.8M, base 7.6M, medium 10.6M, large 25.7M.
     */
    public static ModelShape preset(String name, int vocab) {
        return switch (name) {
            case "tiny" -> of(vocab, 128, 2, 2);
            case "mini" -> of(vocab, 192, 4, 3);
            case "small" -> of(vocab, 256, 6, 4);
            case "base" -> of(vocab, 320, 6, 5);
            case "medium" -> of(vocab, 384, 6, 6);
            case "large" -> of(vocab, 512, 8, 8);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (" + String.join(", ", PRESETS) + ")");
        };
    }

    /** A preset name, or "d,layers,heads". */
    public static ModelShape parse(String model, int vocab) {
        if (!model.contains(",")) return preset(model, vocab);
        String[] p = model.split(",");
        if (p.length != 3) throw new IllegalArgumentException("--model must be a preset or d,layers,heads, not " + model);
        return of(vocab, Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), Integer.parseInt(p[2].trim()));
    }

    public static final String[] PRESETS = {"tiny", "mini", "small", "base", "medium", "large"};

    public int headDim() {
        return d / heads;
    }

    /**
     * The papers' N: 4 L d^2 + 3 L d h_f + 6 L d + V d, embedding included (Kaplan/Chinchilla convention as written
     * in Quokka).
     */
    public long papersParameters() {
        long L = layers, D = d;
        return 4 * L * D * D + 3 * L * D * mlpHidden + 6 * L * D + (long) vocab * D;
    }

    /** The papers' N without the embedding term. */
    public long papersNonEmbeddingParameters() {
        return papersParameters() - (long) vocab * d;
    }

    /** Every trainable value this model has, tensor by tensor. */
    public Map<String, Long> tensors() {
        Map<String, Long> t = new LinkedHashMap<>();
        long D = d;
        t.put("embedding", (long) vocab * D);
        for (int l = 0; l < layers; l++) {
            t.put("layer" + l + ".attn_norm", D);
            t.put("layer" + l + ".wq", D * D);
            t.put("layer" + l + ".wk", D * D);
            t.put("layer" + l + ".wv", D * D);
            t.put("layer" + l + ".wo", D * D);
            t.put("layer" + l + ".q_norm", (long) headDim());
            t.put("layer" + l + ".k_norm", (long) headDim());
            t.put("layer" + l + ".mlp_norm", D);
            t.put("layer" + l + ".w_gate", D * mlpHidden);
            t.put("layer" + l + ".w_up", D * mlpHidden);
            t.put("layer" + l + ".w_down", D * mlpHidden);
        }
        t.put("final_norm", D);
        if (!tied) t.put("output", (long) vocab * D);
        return t;
    }

    /** The exact number of trainable values. */
    public long parameters() {
        return tensors().values().stream().mapToLong(Long::longValue).sum();
    }

    /** The exact count without the input embedding and the output projection. */
    public long nonEmbeddingParameters() {
        return parameters() - (long) vocab * d * (tied ? 1 : 2);
    }

    /** Training FLOPs by the papers' 6 N D rule, with the papers' N. */
    public double trainingFlops(long tokens) {
        return 6.0 * papersParameters() * tokens;
    }

    /**
     * The FLOPs one token of training costs in matrix products, counted exactly (PaLM's "model FLOPs"): 6 per weight
     * of every projection including the output layer, plus 12 L T d for attention scores and values over a context of
     * {@code length}, which this model computes in full even when causal. Embedding lookups and element-wise work are
     * not counted; achieved model FLOP/s over the hardware's peak is then the utilisation.
     */
    public double modelFlopsPerToken(int length) {
        double projections = (double) layers * (4L * d * d + 3L * d * mlpHidden) + (double) vocab * d;
        return 6 * projections + 12.0 * layers * length * d;
    }

    @Override
    public String toString() {
        return "V=" + vocab + " d=" + d + " L=" + layers + " H=" + heads + " h_f=" + mlpHidden + (tied ? " tied" : "");
    }
}
