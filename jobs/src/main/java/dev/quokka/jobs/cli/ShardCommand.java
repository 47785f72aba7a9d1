package dev.quokka.jobs.cli;

import dev.quokka.dataprep.provenance.StudyManifest;
import dev.quokka.dataprep.shard.ShardJob;
import dev.quokka.dataprep.shard.StudyConfig;
import dev.quokka.jobs.runtime.SparkSessions;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "shard", mixinStandardHelpOptions = true,
        description = {"Build a study from tokenized documents: a fixed validation set, exactly U unique training tokens "
                + "(in seeded order, the last document truncated; nested across U for one seed), and e epochs as an "
                + "index of seeded document permutations over tokens stored once.",
                "Sequences are windows of L+1 tokens at stride L over the epochs' document stream, shuffled within each epoch. "
                + "The disk and time do not grow with e beyond the index."})
public final class ShardCommand implements Callable<Integer> {
    @Option(names = "--docs", required = true, description = "A complete `quokka tokenize` output") String docs;
    @Option(names = "--unique-tokens", required = true, description = "U: unique training tokens, exactly") long uniqueTokens;
    @Option(names = "--epochs", required = true, description = "e: epochs, fractional allowed (the last takes a prefix)") double epochs;
    @Option(names = "--seq-len", required = true, description = "L: sequences are L+1 tokens") int seqLen;
    @Option(names = "--seed", defaultValue = "0", description = "Orders the subset, the epochs and the sequences (default: ${DEFAULT-VALUE})") long seed;
    @ArgGroup(exclusive = true)
    Validation validation = new Validation();
    @Option(names = "--output", required = true, description = "The study directory") String output;
    @Option(names = "--overwrite", description = "Replace an existing study made with other settings") boolean overwrite;
    @Option(names = "--materialize", description = "Also write every epoch's sequences as Parquet (sequences/epoch=k/, in "
            + "training order) for consumers outside quokka; this costs e times the disk") boolean materialize;

    static final class Validation {
        @Option(names = "--val-fraction", description = "Hold out this share of documents, by id hash, in (0, 1) (default: 0.01)") Double fraction;
        @Option(names = "--val-tokens", description = "Hold out whole documents in id-hash order up to this many tokens") Long tokens;
    }

    @Override
    public Integer call() throws Exception {
        if (validation.fraction != null && !(validation.fraction > 0 && validation.fraction < 1)) {
            throw new IllegalArgumentException("--val-fraction must be in (0, 1), not " + validation.fraction);
        }
        if (validation.tokens != null && validation.tokens <= 0) throw new IllegalArgumentException("--val-tokens must be positive, not " + validation.tokens);
        long valTokens = validation.tokens == null ? 0 : validation.tokens;
        double fraction = valTokens > 0 ? 0 : validation.fraction != null ? validation.fraction : 0.01;
        StudyConfig cfg = new StudyConfig(docs, output, uniqueTokens, epochs, seqLen, seed, fraction, valTokens, overwrite, materialize);
        ShardJob.Result r = ShardJob.run(SparkSessions.get("quokka shard"), cfg);
        StudyManifest m = r.manifest();
        System.out.printf("%s %s: U = %,d tokens in %,d documents, %s epochs -> %,d tokens in %,d sequences of %d; validation %,d tokens in %,d documents%n",
                r.upToDate() ? "up to date" : "wrote", output, m.unique().tokens(), m.unique().documents(), m.config().get("epochs").asText(),
                m.stream().tokens(), m.stream().sequences(), m.stream().window(), m.validation().tokens(), m.validation().documents());
        return 0;
    }
}
