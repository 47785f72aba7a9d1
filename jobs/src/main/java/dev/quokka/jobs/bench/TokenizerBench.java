package dev.quokka.jobs.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.quokka.jobs.runtime.TextFiles;
import dev.quokka.tokenizer.Tiktoken;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToIntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Single-thread encoding throughput of quokka's tokenizer against jtokkit and Hugging Face tokenizers on the same
 * documents. Ids are compared first: a speed figure only counts if the ids are the same.
 */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Encode the same text single-threaded with quokka, jtokkit (when the vocabulary is one of its "
                + "encodings) and Hugging Face tokenizers (through DJL); print MB/s and the ratios.")
final class TokenizerBench implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, description = "tokenizer.json") Path tokenizerPath;
    @Option(names = "--input", required = true, description = "UTF-8 text (.gz allowed)") Path input;
    @Option(names = "--docs", defaultValue = "paragraphs",
            description = "How the text splits into documents: paragraphs (blank-line separated) or lines (default: ${DEFAULT-VALUE})")
    String docMode;
    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds per engine; the median is reported (default: ${DEFAULT-VALUE})")
    int rounds;
    @Option(names = "--jtokkit", defaultValue = "auto",
            description = "jtokkit encoding to compare: auto, none, r50k_base, p50k_base, cl100k_base, o200k_base (default: ${DEFAULT-VALUE})")
    String jtokkitName;

    private record Engine(String name, ToIntFunction<String> encode, Runnable beforeRound) {}

    @Override
    public Integer call() throws Exception {
        List<String> docs = switch (docMode) {
            case "paragraphs" -> TextFiles.paragraphs(input);
            case "lines" -> TextFiles.lines(input).stream().filter(s -> !s.isEmpty()).toList();
            default -> throw new IllegalArgumentException("--docs must be paragraphs or lines, not '" + docMode + "'");
        };
        long bytes = docs.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
        double mb = bytes / 1e6;
        Tokenizer ours = TokenizerJson.load(tokenizerPath);

        String jtName = jtokkitName.equals("auto") ? Tiktoken.matchingBundled(ours).orElse(null)
                : jtokkitName.equals("none") ? null : jtokkitName;
        Encoding jtokkit = jtName == null ? null
                : Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.valueOf(jtName.toUpperCase()));

        try (InputStream json = Files.newInputStream(tokenizerPath);
             HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(json,
                     Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            System.out.printf("quokka bench tokenizer: %s, %,d documents (%s), %.2f MB of UTF-8%n", input, docs.size(), docMode, mb);
            System.out.printf("tokenizer %s; one thread; median of %d rounds after a warm-up; quokka's word cache is cleared every round%n%n",
                    tokenizerPath, rounds);

            // Correctness first.
            int hfDiffer = 0, jtDiffer = 0;
            for (String d : docs) {
                int[] o = ours.encode(d, true);
                if (!Arrays.equals(o, toInts(hf.encode(d, false, false).getIds()))) hfDiffer++;
                if (jtokkit != null && !Arrays.equals(ours.encode(d), jtokkit.encodeOrdinary(d).toArray())) jtDiffer++;
            }

            List<Engine> engines = new ArrayList<>();
            engines.add(new Engine("quokka", d -> ours.encode(d, true).length, ours::clearCache));
            if (jtokkit != null) engines.add(new Engine("jtokkit " + jtName, d -> jtokkit.encodeOrdinary(d).size(), () -> {}));
            engines.add(new Engine("HF tokenizers (DJL)", d -> hf.encode(d, false, false).getIds().length, () -> {}));

            double[][] mbps = new double[engines.size()][rounds];
            long[] tokens = new long[engines.size()];
            for (int r = -1; r < rounds; r++) { // round -1 warms the JIT up
                for (int k = 0; k < engines.size(); k++) {
                    int e = (k + Math.max(r, 0)) % engines.size(); // rotate the order against drift
                    Engine engine = engines.get(e);
                    engine.beforeRound().run();
                    long t0 = System.nanoTime();
                    long n = 0;
                    for (String d : docs) n += engine.encode().applyAsInt(d);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    if (r >= 0) mbps[e][r] = mb / seconds;
                    tokens[e] = n;
                }
            }
            double oursMbps = median(mbps[0]);
            System.out.printf("%-22s %9s %12s %12s  %s%n", "engine", "MB/s", "tokens/s", "tokens", "documents with ids equal to quokka's");
            for (int e = 0; e < engines.size(); e++) {
                double m = median(mbps[e]);
                String agree = e == 0 ? "" : engines.get(e).name().startsWith("HF")
                        ? (docs.size() - hfDiffer) + "/" + docs.size()
                        : (docs.size() - jtDiffer) + "/" + docs.size();
                System.out.printf("%-22s %9.2f %12.0f %,12d  %s%n", engines.get(e).name(), m, tokens[e] * m / mb, tokens[e], agree);
            }
            System.out.println();
            for (int e = 1; e < engines.size(); e++) {
                System.out.printf("ratio quokka / %s: %.2fx%n", engines.get(e).name(), oursMbps / median(mbps[e]));
            }
            return hfDiffer == 0 && jtDiffer == 0 ? 0 : 1;
        }
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return out;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
