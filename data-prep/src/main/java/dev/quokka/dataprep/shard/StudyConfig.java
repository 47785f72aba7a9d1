package dev.quokka.dataprep.shard;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.dataprep.provenance.InputFiles;

/**
 * A repetition-controlled study: exactly U unique training tokens seen over e epochs, in sequences of L+1 tokens.
 *
 * @param docs          a complete {@code quokka tokenize} output
 * @param output        the study directory
 * @param uniqueTokens  U, taken exactly (the last document is truncated)
 * @param epochs        e; a fractional last epoch takes a prefix of its order
 * @param seqLen        L: sequences are windows of L+1 tokens at stride L
 * @param seed          orders the unique subset, the epochs and the sequences; not the validation set
 * @param valFraction   the share of documents held out (used when {@code valTokens} is 0)
 * @param valTokens     hold out whole documents, in hash order, until this many tokens
 * @param overwrite     replace an existing study made with other settings
 * @param materialize   also write every epoch's sequences, in training order, for consumers outside quokka
 */
public record StudyConfig(String docs, String output, long uniqueTokens, double epochs, int seqLen, long seed,
                          double valFraction, long valTokens, boolean overwrite, boolean materialize) {
    public StudyConfig {
        if (uniqueTokens <= 0) throw new IllegalArgumentException("--unique-tokens must be positive, not " + uniqueTokens);
        if (!(epochs > 0) || epochs > 100_000) throw new IllegalArgumentException("--epochs must be in (0, 100000], not " + epochs);
        if (seqLen < 2) throw new IllegalArgumentException("--seq-len must be at least 2 (a sequence is L+1 tokens, L positions to predict), not " + seqLen);
        if (Math.round(uniqueTokens * epochs) < seqLen + 1L) {
            throw new IllegalArgumentException("--unique-tokens x --epochs = " + Math.round(uniqueTokens * epochs) + " training tokens, fewer than one sequence of --seq-len + 1 = "
                    + (seqLen + 1L) + " tokens");
        }
        if (valTokens < 0) throw new IllegalArgumentException("--val-tokens must be positive, not " + valTokens);
        if (!(valFraction >= 0 && valFraction < 1)) throw new IllegalArgumentException("--val-fraction must be in (0, 1), not " + valFraction);
        if (valTokens > 0 && valFraction > 0) throw new IllegalArgumentException("give a validation fraction or a token count, not both");
        if (valTokens == 0 && valFraction == 0) throw new IllegalArgumentException("a study needs a validation set: a fraction or a token count");
    }

    /** Total training tokens, round(U * e). */
    public long totalTokens() {
        return Math.round(uniqueTokens * epochs);
    }

    /** This config with {@code docs} as a fully qualified URI, so that any spelling of it makes the same request. */
    StudyConfig qualified(org.apache.hadoop.conf.Configuration conf) throws java.io.IOException {
        return new StudyConfig(InputFiles.qualify(docs, conf), output, uniqueTokens, epochs, seqLen, seed, valFraction, valTokens, overwrite,
                materialize);
    }

    ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("docs", docs);
        n.put("unique_tokens", uniqueTokens);
        n.put("epochs", epochs);
        n.put("seq_len", seqLen);
        n.put("seed", seed);
        n.put("materialize", materialize);
        if (valTokens > 0) n.put("validation_tokens", valTokens);
        else n.put("validation_fraction", valFraction);
        return n;
    }
}
