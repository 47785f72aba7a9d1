package dev.quokka.dataprep.vocab;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.InputFiles.InputFile;
import dev.quokka.dataprep.provenance.InputFiles;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.OutputExistsException;
import dev.quokka.dataprep.provenance.TokenizerManifest;
import dev.quokka.dataprep.spark.JavaSparkContexts;
import dev.quokka.dataprep.tokenize.BadRecordException;
import dev.quokka.dataprep.tokenize.SourceReader;
import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.dataprep.tokenize.TokenizerFiles;
import dev.quokka.tokenizer.BpeTrainer;
import dev.quokka.tokenizer.PreTokenizer;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.IOException;
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
 * distinct words with their counts reach the driver, never the text. A tokenizer already made from the same inputs
 * (by checksum) and settings is kept, as the other data-prep jobs keep their outputs.
 */
public final class TrainTokenizerJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainTokenizerJob.class);
    /** Beyond this many distinct words the driver's word map would not be bounded; raise it knowingly. */
    public static final long DEFAULT_MAX_WORDS = 20_000_000L;
    private static final Map<String, PreTokenizer> PRE_TOKENIZERS = new ConcurrentHashMap<>();

    /** What to train on and how. */
    public record Config(TokenizeConfig input, int vocabSize, String pattern, List<String> specials, long minFrequency,
                         long maxWords) {}

    /** The tokenizer, and whether it was already there, made from the same inputs and settings. */
    public record Result(Tokenizer tokenizer, boolean upToDate) {}

    private TrainTokenizerJob() {}

    public static Result run(SparkSession spark, Config given) throws IOException {
        Configuration conf = SourceReader.hadoopConf(spark);
        Config cfg = new Config(given.input().qualified(conf), given.vocabSize(), given.pattern(), given.specials(), given.minFrequency(),
                given.maxWords());
        List<InputFile> files = InputFiles.expand(cfg.input().inputs(), conf);
        String pattern = cfg.pattern();
        PreTokenizer.named(pattern); // fail here, on the driver, if the pattern is bad

        Map<String, String> sums = InputFiles.checksums(JavaSparkContexts.of(spark), files);
        TokenizerManifest.Request request = new TokenizerManifest.Request(cfg.input().toJson(), cfg.vocabSize(), pattern, List.copyOf(cfg.specials()),
                cfg.minFrequency(), files.stream().map(f -> new TokenizerManifest.Input(f.source(), f.bytes(), sums.get(f.uri()))).toList());
        String requestSha = request.sha256();

        Path target = new Path(cfg.input().output());
        FileSystem fs = target.getFileSystem(conf);
        Path manifest = new Path(target.getParent(), target.getName() + ".manifest.json");
        if (fs.exists(target) && fs.exists(manifest)) {
            try (var in = fs.open(manifest)) {
                if (requestSha.equals(new ObjectMapper().readTree(in).path("request_sha256").asText())) {
                    LOG.info("tokenizer train: {} was made from the same inputs and settings; nothing to do", target);
                    return new Result(TokenizerFiles.load(target.toString(), conf), true);
                }
            }
        }
        if (fs.exists(target) && !cfg.input().overwrite()) throw new OutputExistsException(target.toString(), fs.exists(manifest));
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

        TokenizerManifest m = TokenizerManifest.of(request, distinct, words.values().stream().mapToLong(Long::longValue).sum(),
                TokenizerJson.sha256(tokenizer), tokenizer.vocabSize());
        // The manifest first, then the tokenizer: a tokenizer.json that exists is complete and described.
        AtomicOutput.writeFile(fs, manifest, ManifestJson.pretty(m).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        AtomicOutput.writeFile(fs, target, TokenizerJson.toBytes(tokenizer));
        return new Result(tokenizer, false);
    }

}
