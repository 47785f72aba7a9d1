package dev.quokka.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quokka.dataprep.TokenizeConfig;
import dev.quokka.dataprep.TokenizeJob;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Override
    public Integer call() throws Exception {
        List<String> lines = TextFiles.lines(input);
        double mb = Files.size(input) / 1e6;
        Tokenizer t = TokenizerJson.load(tokenizerPath);
        for (String l : lines) t.encode(l); // warm-up
        t.clearCache();
        long t0 = System.nanoTime();
        long tokens = 0;
        for (String l : lines) tokens += t.encode(l).length;
        double bare = mb / ((System.nanoTime() - t0) / 1e9);

        SparkSession spark = SparkSessions.get("quokka bench tokenize");
        int cores = spark.sparkContext().defaultParallelism();
        Path dir = workDir != null ? workDir : Files.createTempDirectory("quokka-bench");
        try {
            TokenizeConfig warm = config(input, dir.resolve("warm-up"));
            TokenizeJob.run(spark, warm); // JIT and Spark warm-up, same work
            long t1 = System.nanoTime();
            JsonNode m = TokenizeJob.run(spark, config(input, dir.resolve("timed"))).manifest();
            double seconds = (System.nanoTime() - t1) / 1e9;
            double job = mb / seconds;
            System.out.printf("quokka bench tokenize: %s, %.1f MB, %,d lines, %,d tokens (job: %,d documents, %,d tokens)%n",
                    input, mb, lines.size(), tokens, m.get("counts").get("documents").asLong(), m.get("counts").get("tokens").asLong());
            System.out.printf("bare tokenizer, 1 thread           %8.2f MB/s%n", bare);
            System.out.printf("tokenize job, %-2d cores (%s)  %8.2f MB/s = %.2f MB/s per core, %.1f s%n", cores,
                    spark.sparkContext().master(), job, job / cores, seconds);
            System.out.printf("ratio job per core / bare tokenizer: %.2fx%n", job / cores / bare);
        } finally {
            if (workDir == null) FileUtil.fullyDelete(dir.toFile());
        }
        return 0;
    }

    private TokenizeConfig config(Path in, Path out) {
        return new TokenizeConfig(List.of(in.toString()), TokenizeConfig.Format.LINES, "text", false,
                tokenizerPath.toString(), out.toString(), false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
    }
}
