package dev.quokka.jobs.cli;

import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.dataprep.vocab.TrainTokenizerJob;
import dev.quokka.jobs.runtime.InputException;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.runtime.TextFiles;
import dev.quokka.tokenizer.BpeTrainer;
import dev.quokka.tokenizer.SpecialTokens;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Encode, decode, train and inspect byte-level BPE tokenizers (tokenizer.json).",
        subcommands = {TokenizerCommand.Encode.class, TokenizerCommand.Decode.class, TokenizerCommand.Train.class,
                TokenizerCommand.Info.class})
public final class TokenizerCommand {

    @Command(name = "encode", mixinStandardHelpOptions = true,
            description = "Encode each line of a text file (one document per line) to a line of space-separated ids.")
    static final class Encode implements Callable<Integer> {
        @Option(names = "--tokenizer", required = true, description = "tokenizer.json (or .json.gz)") Path tokenizer;
        @Option(names = "--input", required = true, description = "UTF-8 text, one document per line (.gz allowed)") Path input;
        @Option(names = "--output", required = true, description = "ids, one line per input line") Path output;
        @Option(names = "--allow-special", description = "Match special tokens written in the text, as Hugging Face does "
                + "(default: encode them as ordinary text).") boolean allowSpecial;

        @Override
        public Integer call() throws Exception {
            Tokenizer t = TokenizerJson.load(tokenizer);
            long[] counts = new long[3]; // documents, tokens, bytes
            long start = System.nanoTime();
            TextFiles.writeAtomically(output, out -> TextFiles.forEachLine(input, (line, n) -> {
                int[] ids = t.encode(line, allowSpecial);
                StringBuilder sb = new StringBuilder(ids.length * 6);
                for (int i = 0; i < ids.length; i++) {
                    if (i > 0) sb.append(' ');
                    sb.append(ids[i]);
                }
                out.write(sb.append('\n').toString());
                counts[0]++;
                counts[1] += ids.length;
                counts[2] += line.length();
            }));
            double seconds = (System.nanoTime() - start) / 1e9;
            System.err.printf("encoded %,d documents into %,d tokens in %.2f s%s%n", counts[0], counts[1], seconds,
                    t.replacedSurrogates() > 0 ? "; replaced " + t.replacedSurrogates() + " lone surrogates with U+FFFD" : "");
            return 0;
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = "Decode lines of space-separated ids back to text, one line per document.")
    static final class Decode implements Callable<Integer> {
        @Option(names = "--tokenizer", required = true, description = "tokenizer.json (or .json.gz)") Path tokenizer;
        @Option(names = "--input", required = true, description = "ids, one document per line") Path input;
        @Option(names = "--output", required = true, description = "UTF-8 text, one line per document") Path output;

        @Override
        public Integer call() throws Exception {
            Tokenizer t = TokenizerJson.load(tokenizer);
            TextFiles.writeAtomically(output, out -> TextFiles.forEachLine(input, (line, n) -> {
                String where = input + ":" + n;
                String text;
                try {
                    text = t.decode(parseIds(line, where));
                } catch (IllegalArgumentException e) {
                    throw new InputException(where, e.getMessage());
                }
                if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
                    throw new InputException(where, "decodes to text with a line break, which a line per document cannot hold");
                }
                out.write(text);
                out.write('\n');
            }));
            return 0;
        }

        private static int[] parseIds(String line, String where) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) return new int[0];
            String[] parts = trimmed.split(" +");
            int[] ids = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    ids[i] = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    throw new InputException(where, "item " + (i + 1) + " '" + parts[i] + "' is not a token id");
                }
            }
            return ids;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train a byte-level BPE vocabulary with Spark: executors count the pre-tokenized words, the driver "
                    + "trains the merges and writes tokenizer.json (and tokenizer.json.manifest.json beside it). Inputs and "
                    + "formats are those of `quokka tokenize`.")
    static final class Train implements Callable<Integer> {
        @Option(names = "--input", required = true, arity = "1..*", description = "Input paths, globs or directories") List<String> inputs;
        @Option(names = "--format", defaultValue = "text",
                description = "text (a document per file, or per paragraph with --paragraphs), lines, jsonl or parquet (default: ${DEFAULT-VALUE})") String format;
        @Option(names = "--text-field", defaultValue = "text", description = "JSONL field or Parquet column (default: ${DEFAULT-VALUE})") String textField;
        @Option(names = "--paragraphs", description = "text format: one document per paragraph") boolean paragraphs;
        @Option(names = "--lenient", description = "Skip bad records instead of failing") boolean lenient;
        @Option(names = "--vocab-size", required = true, description = "256 bytes + merges + special tokens") int vocabSize;
        @Option(names = "--output", required = true, description = "tokenizer.json to write (any Hadoop FileSystem URI)") String output;
        @Option(names = "--pattern", defaultValue = "gpt2",
                description = "Pre-tokenizer: gpt2, cl100k, qwen, or a regex (default: ${DEFAULT-VALUE})") String pattern;
        @Option(names = "--special", split = ",", description = "Special tokens to reserve (default: "
                + SpecialTokens.END_OF_TEXT + "," + SpecialTokens.MASK + "," + SpecialTokens.PAD + ")") List<String> specials;
        @Option(names = "--min-frequency", defaultValue = "2", description = "Never merge rarer pairs (default: ${DEFAULT-VALUE})") long minFrequency;
        @Option(names = "--max-words", defaultValue = "20000000",
                description = "Fail if the corpus has more distinct words than this, to bound the driver (default: ${DEFAULT-VALUE})") long maxWords;

        @Override
        public Integer call() throws Exception {
            TokenizeConfig.Format f = TokenizeCommand.format(format);
            TokenizeConfig input = new TokenizeConfig(inputs, f, textField, paragraphs, "", output, lenient, true,
                    TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
            TrainTokenizerJob.Config cfg = new TrainTokenizerJob.Config(input, vocabSize,
                    pattern, specials == null ? BpeTrainer.DEFAULT_SPECIALS : specials, minFrequency, maxWords);
            Tokenizer t = TrainTokenizerJob.run(SparkSessions.get("quokka tokenizer train"), cfg).tokenizer();
            System.out.printf("wrote %s: %,d tokens (%,d requested), sha256 %s%n", output, t.vocabSize(), vocabSize, TokenizerJson.sha256(t));
            if (t.vocabSize() < vocabSize) {
                System.out.printf("note: no pair occurred %d or more times before the target, so the vocabulary is smaller%n", minFrequency);
            }
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Print a tokenizer's size, special tokens and hash.")
    static final class Info implements Callable<Integer> {
        @Option(names = "--tokenizer", required = true, description = "tokenizer.json (or .json.gz)") Path tokenizer;

        @Override
        public Integer call() throws Exception {
            Tokenizer t = TokenizerJson.load(tokenizer);
            SpecialTokens s = t.specialTokens();
            System.out.printf("vocab size      %d%n", t.vocabSize());
            System.out.printf("added tokens    %d%n", t.addedTokens().size());
            System.out.printf("end-of-document %s%n", s.endOfDocumentId().isPresent() ? s.endOfDocument() : "none");
            System.out.printf("mask            %s%n", s.maskId().isPresent() ? s.mask() : "none");
            System.out.printf("pad             %s%n", s.padId().isPresent() ? s.pad() : "none");
            System.out.printf("sha256          %s%n", TokenizerJson.sha256(t));
            return 0;
        }
    }
}
