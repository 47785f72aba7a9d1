package dev.quokka.dataprep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quokka.dataprep.InputFiles.InputFile;
import dev.quokka.tokenizer.BpeTrainer;
import dev.quokka.tokenizer.PreTokenizer;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * {@code quokka tokenizer train}: the executors pre-tokenize the corpus and count words; the driver trains the merges
 * from the aggregated counts ({@link BpeTrainer}) and writes {@code tokenizer.json} with a manifest beside it. Only
 * distinct words with their counts reach the driver, never the text.
 */
public final class TrainTokenizerJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainTokenizerJob.class);
    /** Beyond this many distinct words the driver's word map would not be bounded; raise it knowingly. */
    public static final long DEFAULT_MAX_WORDS = 20_000_000L;
    private static final Map<String, PreTokenizer> PRE_TOKENIZERS = new ConcurrentHashMap<>();

    /** What to train on and how. */
    public record Config(TokenizeConfig input, int vocabSize, String pattern, List<String> specials, long minFrequency,
                         long maxWords) {}

    private TrainTokenizerJob() {}

    public static Tokenizer run(SparkSession spark, Config cfg) throws IOException {
        Configuration conf = SourceReader.hadoopConf(spark);
        List<InputFile> files = InputFiles.expand(cfg.input().inputs(), conf);
        String pattern = cfg.pattern();
        PreTokenizer.named(pattern); // fail here, on the driver, if the pattern is bad
        boolean lenient = cfg.input().lenient();
        long t0 = System.nanoTime();
        var counts = SourceReader.read(spark, files, cfg.input()).flatMapToPair(r -> {
            List<Tuple2<String, Long>> out = new ArrayList<>();
            if (r.isNullAt(2)) {
                if (!lenient) throw new BadRecordException(r.getString(4) + " (use --lenient to skip bad records)");
                return out.iterator();
            }
            String text = r.getString(2);
            Map<String, Long> local = new HashMap<>();
            PRE_TOKENIZERS.computeIfAbsent(pattern, PreTokenizer::named)
                    .split(text, 0, text.length(), (s, e) -> local.merge(text.substring(s, e), 1L, Long::sum));
            local.forEach((w, c) -> out.add(new Tuple2<>(w, c)));
            return out.iterator();
        }).reduceByKey(Long::sum);
        long distinct = counts.count();
        if (distinct > cfg.maxWords()) {
            throw new IllegalArgumentException("the corpus has " + distinct + " distinct words, more than --max-words "
                    + cfg.maxWords() + "; raise it if the driver has the memory (about 100 bytes a word)");
        }
        Map<String, Long> words = new HashMap<>(counts.collectAsMap());
        LOG.info("tokenizer train: counted {} distinct words on the executors in {} s", distinct, String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        long t1 = System.nanoTime();
        BpeTrainer trainer = new BpeTrainer(cfg.vocabSize(), cfg.specials(), PreTokenizer.named(pattern), cfg.minFrequency());
        Tokenizer tokenizer = trainer.train(words);
        LOG.info("tokenizer train: trained {} tokens on the driver in {} s", tokenizer.vocabSize(), String.format("%.1f", (System.nanoTime() - t1) / 1e9));

        Path out = new Path(cfg.input().output());
        FileSystem fs = out.getFileSystem(conf);
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("format", "quokka.tokenizer/1");
        m.set("input", cfg.input().toJson());
        m.put("vocab_size", cfg.vocabSize());
        m.put("pattern", pattern);
        cfg.specials().forEach(m.putArray("specials")::add);
        m.put("min_frequency", cfg.minFrequency());
        m.put("distinct_words", distinct);
        m.put("words", words.values().stream().mapToLong(Long::longValue).sum());
        var inputs = m.putArray("inputs");
        Map<String, String> sums = InputFiles.checksums(JavaSparkContexts.of(spark), files);
        for (InputFile f : files) inputs.addObject().put("source", f.source()).put("bytes", f.bytes()).put("sha256", sums.get(f.uri()));
        m.put("tokenizer_sha256", TokenizerJson.sha256(tokenizer));
        m.put("trained_vocab_size", tokenizer.vocabSize());
        m.put("code_version", BuildInfo.codeVersion());
        // The manifest first, then the tokenizer: a tokenizer.json that exists is complete and described.
        writeAtomically(fs, new Path(out.getParent(), out.getName() + ".manifest.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
        writeAtomically(fs, out, TokenizerJson.toBytes(tokenizer));
        return tokenizer;
    }

    private static void writeAtomically(FileSystem fs, Path target, byte[] bytes) throws IOException {
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp");
        try (OutputStream o = fs.create(tmp, true)) {
            o.write(bytes);
        }
        if (fs.exists(target)) fs.delete(target, false);
        if (!fs.rename(tmp, target)) throw new IOException("could not move " + tmp + " to " + target);
    }
}
