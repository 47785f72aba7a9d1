package dev.quokka.jobs.bench;

import dev.quokka.dataprep.provenance.DocsManifest;
import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.dataprep.tokenize.TokenizeJob;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.runtime.TextFiles;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The tokenize job's throughput per core against the bare tokenizer on one thread, in one process. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Run `quokka tokenize` (lines format) on a file and compare its throughput per core with the bare "
                + "tokenizer encoding the same lines on one thread. Use an uncompressed file: gzip cannot be split.")
final class TokenizeBench implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, description = "tokenizer.json") Path tokenizerPath;
    @Option(names = "--input", required = true, description = "UTF-8 text, one document per line (uncompressed)") Path input;
    @Option(names = "--work-dir", description = "Where the job writes (default: a temporary directory, removed after)") Path workDir;

    @Option(names = "--rounds", defaultValue = "3", description = "Timed rounds, each the bare tokenizer then the job (default: ${DEFAULT-VALUE})") int rounds;

    @Override
    public Integer call() throws Exception {
        List<String> lines = TextFiles.lines(input);
        double mb = Files.size(input) / 1e6;
        Tokenizer t = TokenizerJson.load(tokenizerPath);
        SparkSession spark = SparkSessions.get("quokka bench tokenize");
        int cores = spark.sparkContext().defaultParallelism();
        Path dir = workDir != null ? workDir : Files.createTempDirectory("quokka-bench");
        try {
            bare(t, lines); // JIT warm-up, same work
            TokenizeJob.run(spark, config(input, dir.resolve("warm-up")));
            System.out.printf("quokka bench tokenize: %s, %.1f MB, %,d lines, %s, %d rounds%n", input, mb, lines.size(),
                    spark.sparkContext().master(), rounds);
            double[] bare = new double[rounds], job = new double[rounds], ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                // Alternating the two in each round exposes both to the same drift of a shared machine.
                bare[r] = mb / bare(t, lines);
                Path out = dir.resolve("round-" + r);
                TokenizeJob.forgetTokenizers(); // cold caches, as for the bare tokenizer
                long t1 = System.nanoTime();
                DocsManifest.Counts c = TokenizeJob.run(spark, config(input, out)).manifest().counts();
                job[r] = mb / ((System.nanoTime() - t1) / 1e9) / cores;
                ratio[r] = job[r] / bare[r];
                FileUtil.fullyDelete(out.toFile());
                System.out.printf("round %d: bare tokenizer %6.2f MB/s, job %6.2f MB/s per core (%,d documents, %,d tokens), ratio %.2fx%n",
                        r + 1, bare[r], job[r], c.documents(), c.tokens(), ratio[r]);
            }
            System.out.printf("median: bare tokenizer, 1 thread %.2f MB/s; tokenize job, %d cores %.2f MB/s = %.2f MB/s per core%n",
                    median(bare), cores, median(job) * cores, median(job));
            System.out.printf("ratio job per core / bare tokenizer: %.2fx (median of the rounds' ratios; range %.2f-%.2f)%n",
                    median(ratio), Arrays.stream(ratio).min().orElse(0), Arrays.stream(ratio).max().orElse(0));
        } finally {
            if (workDir == null) FileUtil.fullyDelete(dir.toFile());
        }
        return 0;
    }

    /** Seconds for one cold pass of the tokenizer over the lines: the word cache is cleared first. */
    private static double bare(Tokenizer t, List<String> lines) {
        t.clearCache();
        long t0 = System.nanoTime();
        for (String l : lines) t.encode(l);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private TokenizeConfig config(Path in, Path out) {
        return new TokenizeConfig(List.of(in.toString()), TokenizeConfig.Format.LINES, "text", false,
                tokenizerPath.toString(), out.toString(), false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
    }
}
