package dev.quokka.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/** The bundled fixtures (see src/test/resources/README.md) and reference tokenizers. */
final class Fixtures {
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private Fixtures() {}

    static InputStream open(String resource) {
        InputStream in = Fixtures.class.getResourceAsStream("/" + resource);
        if (in == null) throw new IllegalStateException("missing test resource " + resource);
        try {
            return resource.endsWith(".gz") ? new GZIPInputStream(in) : in;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> lines(String resource) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(open(resource), StandardCharsets.UTF_8))) {
            return r.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Blank-line separated paragraphs. */
    static List<String> paragraphs(String resource) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : lines(resource)) {
            if (line.isBlank()) {
                if (cur.length() > 0) out.add(cur.toString());
                cur.setLength(0);
            } else {
                if (cur.length() > 0) cur.append('\n');
                cur.append(line);
            }
        }
        if (cur.length() > 0) out.add(cur.toString());
        return out;
    }

    static List<String> english() {
        List<String> docs = new ArrayList<>(paragraphs("corpus/gutenberg-sample.txt.gz"));
        docs.addAll(lines("corpus/sotu-sample.txt.gz"));
        return docs;
    }

    static List<String> multilingual() {
        return lines("corpus/europarl-sample.txt.gz").stream().filter(s -> !s.isEmpty()).toList();
    }

    static Tokenizer tokenizer(String name) {
        return TOKENIZERS.computeIfAbsent(name, n -> {
            try (InputStream in = open("tokenizers/" + n + ".json.gz")) {
                return TokenizerJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static HuggingFaceTokenizer huggingFace(String name) throws IOException {
        try (InputStream in = open("tokenizers/" + name + ".json.gz")) {
            return huggingFace(in);
        }
    }

    static HuggingFaceTokenizer huggingFace(InputStream tokenizerJson) throws IOException {
        return HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    }

    static int[] ids(HuggingFaceTokenizer hf, String text) {
        long[] ids = hf.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    /** Random text from an alphabet chosen to hit every branch of the pre-tokenizer patterns. */
    static String adversarial(Random rnd, int length, boolean loneSurrogates) {
        String[] atoms = {
            "a", "Z", "é", "ß", "ſ", "ǅ", "ʰ", "中", "ひ", "Ω", "и", "ا", "한", "0", "7", "½", "²", "Ⅻ", "٣",
            " ", "  ", "\t", "\n", "\r\n", "\r", "\u000B", "\f", "\u0085", "\u00A0", "\u2003", "\u3000", "\u001C",
            "'", "'s", "'S", "'t", "'re", "'RE", "'ve", "'m", "'ll", "'LL", "'d", "'x", "’s",
            ".", ",", "!", "?", "-", "—", "\"", "(", ")", "/", "\\", "<|endoftext|>", "<|mask_token|>", "<|im_start|>",
            "😀", "👍🏽", "𝔘", "\u0301", "e\u0301", "\u200D", "\uFEFF", "$", "€", "©", "_",
        };
        StringBuilder sb = new StringBuilder();
        while (sb.length() < length) {
            if (loneSurrogates && rnd.nextInt(40) == 0) sb.append(rnd.nextBoolean() ? '\uD83D' : '\uDE00');
            else sb.append(atoms[rnd.nextInt(atoms.length)]);
        }
        return sb.toString();
    }
}
