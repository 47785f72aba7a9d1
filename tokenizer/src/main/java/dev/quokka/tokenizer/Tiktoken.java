package dev.quokka.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads tiktoken rank files ({@code base64-token rank} per line), including the ones jtokkit bundles. A token's rank
 * is its id and its merge priority: every split of a token into two tokens becomes a merge at that rank, and a
 * whole word that is itself a token is taken as is, exactly as tiktoken encodes.
 */
public final class Tiktoken {
    /** OpenAI's o200k_base pattern (tiktoken). */
    static final String O200K_PATTERN = String.join("|",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "\\p{N}{1,3}", " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*", "\\s*[\\r\\n]+", "\\s+(?!\\S)", "\\s+");

    private Tiktoken() {}

    /** An encoding bundled in jtokkit's jar: r50k_base (GPT-2), p50k_base, cl100k_base or o200k_base. */
    public static Tokenizer bundled(String name) throws IOException {
        String pattern;
        Map<String, Integer> specials = new LinkedHashMap<>();
        switch (name) {
            case "r50k_base", "p50k_base" -> {
                pattern = Gpt2Splitter.TIKTOKEN_PATTERN;
                specials.put(SpecialTokens.END_OF_TEXT, 50256);
            }
            case "cl100k_base" -> {
                pattern = Cl100kSplitter.TIKTOKEN_CL100K_PATTERN;
                specials.put(SpecialTokens.END_OF_TEXT, 100257);
                specials.put("<|fim_prefix|>", 100258);
                specials.put("<|fim_middle|>", 100259);
                specials.put("<|fim_suffix|>", 100260);
                specials.put("<|endofprompt|>", 100276);
            }
            case "o200k_base" -> {
                pattern = O200K_PATTERN;
                specials.put(SpecialTokens.END_OF_TEXT, 199999);
                specials.put("<|endofprompt|>", 200018);
            }
            default -> throw new IllegalArgumentException("unknown bundled encoding '" + name
                    + "' (r50k_base, p50k_base, cl100k_base, o200k_base)");
        }
        String resource = "/com/knuddels/jtokkit/" + name + ".tiktoken";
        try (InputStream in = com.knuddels.jtokkit.Encodings.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("jtokkit jar has no " + resource);
            return read(in, "jtokkit:" + name, pattern, specials);
        }
    }

    /** Rank counts of the bundled encodings, to avoid loading the ones that cannot match. */
    private static final Map<String, Integer> BUNDLED_SIZES =
            Map.of("r50k_base", 50256, "p50k_base", 50280, "cl100k_base", 100256, "o200k_base", 199998);

    /**
     * The bundled encoding whose tokens are exactly this tokenizer's (for example r50k_base for GPT-2's
     * tokenizer.json), if any.
     */
    public static java.util.Optional<String> matchingBundled(Tokenizer t) throws IOException {
        for (String name : List.of("r50k_base", "p50k_base", "cl100k_base", "o200k_base")) {
            if (Math.abs(t.bpe().size() - BUNDLED_SIZES.get(name)) > 64) continue;
            Bpe ref = bundled(name).bpe();
            boolean same = true;
            for (int id = 0; id < ref.size() && same; id++) {
                byte[] b = ref.bytes(id);
                same = b == null || Arrays.equals(b, t.bpe().bytes(id));
            }
            if (same) return java.util.Optional.of(name);
        }
        return java.util.Optional.empty();
    }

    /** Loads a rank file with the pre-tokenizer pattern and special tokens that go with it. */
    public static Tokenizer load(Path rankFile, String pattern, Map<String, Integer> specials) throws IOException {
        try (InputStream in = Files.newInputStream(rankFile)) {
            return read(in, rankFile.toString(), pattern, specials);
        }
    }

    static Tokenizer read(InputStream in, String source, String pattern, Map<String, Integer> specials) throws IOException {
        Map<ByteKey, Integer> ranks = new HashMap<>();
        List<byte[]> byRank = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            int space = line.indexOf(' ');
            byte[] token;
            int rank;
            try {
                token = Base64.getDecoder().decode(line.substring(0, space));
                rank = Integer.parseInt(line.substring(space + 1).trim());
            } catch (RuntimeException e) {
                throw new TokenizerFormatException(source + ":" + lineNo, "expected '<base64 token> <rank>', got '" + line + "'");
            }
            if (rank < 0 || ranks.putIfAbsent(new ByteKey(token), rank) != null) {
                throw new TokenizerFormatException(source + ":" + lineNo, "duplicate token or negative rank " + rank);
            }
            while (byRank.size() <= rank) byRank.add(null);
            if (byRank.get(rank) != null) throw new TokenizerFormatException(source + ":" + lineNo, "rank " + rank + " is used twice");
            byRank.set(rank, token);
        }
        byte[][] tokenBytes = byRank.toArray(byte[][]::new);
        int[] left = new int[tokenBytes.length * 4];
        int[] right = new int[left.length];
        int[] mergeRank = new int[left.length];
        int n = 0;
        for (int id = 0; id < tokenBytes.length; id++) {
            byte[] t = tokenBytes[id];
            if (t == null || t.length < 2) continue;
            for (int k = 1; k < t.length; k++) {
                Integer a = ranks.get(new ByteKey(Arrays.copyOfRange(t, 0, k)));
                Integer b = a == null ? null : ranks.get(new ByteKey(Arrays.copyOfRange(t, k, t.length)));
                if (b == null) continue;
                if (n == left.length) {
                    left = Arrays.copyOf(left, n * 2);
                    right = Arrays.copyOf(right, n * 2);
                    mergeRank = Arrays.copyOf(mergeRank, n * 2);
                }
                left[n] = a;
                right[n] = b;
                mergeRank[n++] = id;
            }
        }
        Bpe bpe = new Bpe(tokenBytes, Arrays.copyOf(left, n), Arrays.copyOf(right, n), Arrays.copyOf(mergeRank, n), true);
        List<AddedToken> added = new ArrayList<>();
        specials.forEach((content, id) -> added.add(AddedToken.special(id, content)));
        PreTokenizer pre = PreTokenizer.splitThenByteLevel(pattern);
        PreTokenizer.ByteLevelStep byteLevel = new PreTokenizer.ByteLevelStep(false, true, true);
        return new Tokenizer(bpe, added, null, pre, null, byteLevel, null);
    }
}
