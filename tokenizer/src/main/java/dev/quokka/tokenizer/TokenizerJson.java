package dev.quokka.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads and writes Hugging Face {@code tokenizer.json} files with a byte-level BPE model. Anything this library
 * would not reproduce exactly is refused with a {@link UnsupportedFeatureException} that names the field.
 */
public final class TokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerJson() {}

    /** Loads a tokenizer.json (or .json.gz); errors name the file and the field. */
    public static Tokenizer load(Path path) throws IOException {
        try (InputStream raw = Files.newInputStream(path);
             InputStream in = path.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
            return parse(JSON.readTree(in));
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(path + " (line " + e.getLocation().getLineNr() + ")",
                    "not valid JSON: " + e.getOriginalMessage());
        } catch (TokenizerFormatException e) {
            throw e.inFile(path);
        }
    }

    public static Tokenizer parse(String json) {
        try {
            return parse(JSON.readTree(json));
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException("(line " + e.getLocation().getLineNr() + ")", "not valid JSON: " + e.getOriginalMessage());
        }
    }

    static Tokenizer parse(JsonNode root) {
        if (root == null || !root.isObject()) throw new TokenizerFormatException("(root)", "expected a JSON object");
        for (String field : List.of("truncation", "padding")) {
            JsonNode n = root.get(field);
            if (n != null && !n.isNull()) throw new UnsupportedFeatureException(field, "settings (must be null)");
        }
        List<AddedToken> added = parseAddedTokens(root.get("added_tokens"));
        Normalization normalization = parseNormalizer(root.get("normalizer"), "normalizer");
        JsonNode pre = root.get("pre_tokenizer");
        if (pre == null || pre.isNull()) throw new UnsupportedFeatureException("pre_tokenizer", "null (byte-level BPE needs ByteLevel)");
        PreTokenizer preTokenizer = parsePreTokenizer(pre);
        PreTokenizer.ByteLevelStep post = parseByteLevelOrNull(root.get("post_processor"), "post_processor");
        PreTokenizer.ByteLevelStep decoder = parseByteLevelOrNull(root.get("decoder"), "decoder");
        if (decoder == null) throw new UnsupportedFeatureException("decoder", "null (byte-level BPE needs the ByteLevel decoder)");
        Bpe bpe = parseModel(root.get("model"));
        return new Tokenizer(bpe, added, normalization, preTokenizer, post, decoder, null);
    }

    private static List<AddedToken> parseAddedTokens(JsonNode node) {
        List<AddedToken> out = new ArrayList<>();
        if (node == null || node.isNull()) return out;
        if (!node.isArray()) throw new TokenizerFormatException("added_tokens", "expected an array");
        for (int i = 0; i < node.size(); i++) {
            String path = "added_tokens[" + i + "]";
            JsonNode t = node.get(i);
            out.add(new AddedToken(integer(t, "id", path), string(t, "content", path),
                    bool(t, "single_word", path), bool(t, "lstrip", path), bool(t, "rstrip", path),
                    bool(t, "normalized", path), bool(t, "special", path)));
        }
        return out;
    }

    private static Normalization parseNormalizer(JsonNode node, String path) {
        if (node == null || node.isNull()) return null;
        String type = string(node, "type", path);
        if (type.equals("Sequence")) {
            JsonNode list = node.get("normalizers");
            if (list == null || !list.isArray()) throw new TokenizerFormatException(path + ".normalizers", "expected an array");
            List<Normalizer.Form> forms = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) forms.add(form(list.get(i), path + ".normalizers[" + i + "]"));
            return new Normalization(forms, true);
        }
        return new Normalization(List.of(form(node, path)), false);
    }

    private static Normalizer.Form form(JsonNode node, String path) {
        String type = string(node, "type", path);
        return switch (type) {
            case "NFC" -> Normalizer.Form.NFC;
            case "NFD" -> Normalizer.Form.NFD;
            case "NFKC" -> Normalizer.Form.NFKC;
            case "NFKD" -> Normalizer.Form.NFKD;
            default -> throw new UnsupportedFeatureException(path + ".type", "normalizer '" + type + "'");
        };
    }

    private static PreTokenizer parsePreTokenizer(JsonNode node) {
        String type = string(node, "type", "pre_tokenizer");
        if (!type.equals("Sequence")) return new PreTokenizer(List.of(step(node, "pre_tokenizer")), false);
        JsonNode list = node.get("pretokenizers");
        if (list == null || !list.isArray()) throw new TokenizerFormatException("pre_tokenizer.pretokenizers", "expected an array");
        List<PreTokenizer.Step> steps = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) steps.add(step(list.get(i), "pre_tokenizer.pretokenizers[" + i + "]"));
        return new PreTokenizer(steps, true);
    }

    private static PreTokenizer.Step step(JsonNode node, String path) {
        String type = string(node, "type", path);
        switch (type) {
            case "ByteLevel":
                return byteLevel(node, path);
            case "Split": {
                JsonNode pattern = node.get("pattern");
                if (pattern == null || !pattern.isObject()) throw new TokenizerFormatException(path + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
                String regex;
                if (pattern.has("Regex")) regex = string(pattern, "Regex", path + ".pattern");
                else if (pattern.has("String")) regex = java.util.regex.Pattern.quote(string(pattern, "String", path + ".pattern"));
                else throw new TokenizerFormatException(path + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
                try {
                    java.util.regex.Pattern.compile(regex);
                } catch (java.util.regex.PatternSyntaxException e) {
                    throw new UnsupportedFeatureException(path + ".pattern", "regex (java.util.regex cannot compile it: " + e.getDescription() + ")");
                }
                String behavior = string(node, "behavior", path);
                PreTokenizer.Behavior b;
                try {
                    b = PreTokenizer.Behavior.valueOf(behavior);
                } catch (IllegalArgumentException e) {
                    throw new UnsupportedFeatureException(path + ".behavior", "'" + behavior + "'");
                }
                return new PreTokenizer.Split(regex, b, bool(node, "invert", path));
            }
            default:
                throw new UnsupportedFeatureException(path + ".type", "pre-tokenizer '" + type + "'");
        }
    }

    private static PreTokenizer.ByteLevelStep byteLevel(JsonNode node, String path) {
        return new PreTokenizer.ByteLevelStep(bool(node, "add_prefix_space", path),
                optionalBool(node, "trim_offsets", true), optionalBool(node, "use_regex", true));
    }

    private static PreTokenizer.ByteLevelStep parseByteLevelOrNull(JsonNode node, String path) {
        if (node == null || node.isNull()) return null;
        String type = string(node, "type", path);
        if (!type.equals("ByteLevel")) throw new UnsupportedFeatureException(path + ".type", "'" + type + "' (only ByteLevel or null)");
        return byteLevel(node, path);
    }

    private static Bpe parseModel(JsonNode model) {
        if (model == null || !model.isObject()) throw new TokenizerFormatException("model", "expected an object");
        JsonNode typeNode = model.get("type");
        String type = typeNode == null ? (model.has("merges") ? "BPE" : "?") : typeNode.asText();
        if (!type.equals("BPE")) throw new UnsupportedFeatureException("model.type", "'" + type + "' (only BPE)");
        JsonNode dropout = model.get("dropout");
        if (dropout != null && !dropout.isNull() && dropout.asDouble() != 0.0) throw new UnsupportedFeatureException("model.dropout", String.valueOf(dropout.asDouble()));
        for (String f : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            JsonNode n = model.get(f);
            if (n != null && !n.isNull() && !n.asText().isEmpty()) throw new UnsupportedFeatureException("model." + f, "'" + n.asText() + "'");
        }
        if (optionalBool(model, "byte_fallback", false)) throw new UnsupportedFeatureException("model.byte_fallback", "true (not a byte-level model)");
        boolean ignoreMerges = optionalBool(model, "ignore_merges", false);

        JsonNode vocab = model.get("vocab");
        if (vocab == null || !vocab.isObject()) throw new TokenizerFormatException("model.vocab", "expected an object of token -> id");
        int maxId = -1;
        for (Iterator<JsonNode> it = vocab.elements(); it.hasNext(); ) {
            JsonNode id = it.next();
            if (!id.canConvertToInt() || id.asInt() < 0) throw new TokenizerFormatException("model.vocab", "ids must be non-negative integers, got " + id);
            maxId = Math.max(maxId, id.asInt());
        }
        byte[][] tokenBytes = new byte[maxId + 1][];
        java.util.Map<String, Integer> ids = new java.util.HashMap<>(vocab.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt();
            byte[] b = ByteLevel.fromVocabString(e.getKey());
            if (b == null) throw new TokenizerFormatException("model.vocab[\"" + e.getKey() + "\"]", "has a character outside the ByteLevel alphabet");
            if (tokenBytes[id] != null) throw new TokenizerFormatException("model.vocab[\"" + e.getKey() + "\"]", "id " + id + " is used twice");
            tokenBytes[id] = b;
            ids.put(e.getKey(), id);
        }
        JsonNode merges = model.get("merges");
        if (merges == null || !merges.isArray()) throw new TokenizerFormatException("model.merges", "expected an array");
        int n = merges.size();
        int[] left = new int[n], right = new int[n], ranks = new int[n];
        for (int r = 0; r < n; r++) {
            String path = "model.merges[" + r + "]";
            JsonNode m = merges.get(r);
            String a, b;
            if (m.isTextual()) {
                String[] parts = m.asText().split(" ", -1);
                if (parts.length != 2) throw new TokenizerFormatException(path, "expected \"left right\", got \"" + m.asText() + "\"");
                a = parts[0];
                b = parts[1];
            } else if (m.isArray() && m.size() == 2) {
                a = m.get(0).asText();
                b = m.get(1).asText();
            } else {
                throw new TokenizerFormatException(path, "expected \"left right\" or [left, right]");
            }
            left[r] = vocabId(ids, a, path);
            right[r] = vocabId(ids, b, path);
            ranks[r] = r;
        }
        try {
            return new Bpe(tokenBytes, left, right, ranks, ignoreMerges);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException("model", e.getMessage());
        }
    }

    private static int vocabId(Map<String, Integer> ids, String token, String path) {
        Integer id = ids.get(token);
        if (id == null) throw new TokenizerFormatException(path, "'" + token + "' is not in model.vocab");
        return id;
    }

    private static String string(JsonNode node, String field, String path) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || !v.isTextual()) throw new TokenizerFormatException(path + "." + field, v == null ? "missing" : "expected a string, got " + v);
        return v.asText();
    }

    private static int integer(JsonNode node, String field, String path) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || !v.canConvertToInt()) throw new TokenizerFormatException(path + "." + field, v == null ? "missing" : "expected an integer, got " + v);
        return v.asInt();
    }

    private static boolean bool(JsonNode node, String field, String path) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null) return false;
        if (!v.isBoolean()) throw new TokenizerFormatException(path + "." + field, "expected true or false, got " + v);
        return v.asBoolean();
    }

    private static boolean optionalBool(JsonNode node, String field, boolean fallback) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? fallback : v.asBoolean();
    }

    // ---------------------------------------------------------------- writing


    /** The canonical tokenizer.json of a tokenizer: the same tokenizer always gives the same bytes. */
    public static byte[] toBytes(Tokenizer t) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(t));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SHA-256 of {@link #toBytes}: identifies a tokenizer independently of how its file was formatted. */
    public static String sha256(Tokenizer t) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(toBytes(t)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode toJson(Tokenizer t) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (AddedToken a : t.addedTokens()) {
            added.addObject().put("id", a.id()).put("content", a.content()).put("single_word", a.singleWord())
                    .put("lstrip", a.lstrip()).put("rstrip", a.rstrip()).put("normalized", a.normalized())
                    .put("special", a.special());
        }
        Normalization norm = t.normalization();
        if (norm == null) {
            root.putNull("normalizer");
        } else if (norm.sequence()) {
            ArrayNode list = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
            norm.forms().forEach(form -> list.addObject().put("type", form.name()));
        } else {
            root.putObject("normalizer").put("type", norm.forms().get(0).name());
        }
        PreTokenizer pre = t.preTokenizer();
        if (pre.isSequence()) {
            ArrayNode list = root.putObject("pre_tokenizer").put("type", "Sequence").putArray("pretokenizers");
            pre.steps().forEach(s -> list.add(stepJson(s)));
        } else {
            root.set("pre_tokenizer", stepJson(pre.steps().get(0)));
        }
        if (t.postProcessor() == null) root.putNull("post_processor");
        else root.set("post_processor", stepJson(t.postProcessor()));
        root.set("decoder", stepJson(t.decoder()));

        Bpe bpe = t.bpe();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", bpe.ignoresMerges());
        ObjectNode vocab = model.putObject("vocab");
        String[] strings = new String[bpe.size()];
        for (int id = 0; id < bpe.size(); id++) {
            byte[] b = bpe.bytes(id);
            if (b != null) vocab.put(strings[id] = ByteLevel.toVocabString(b), id);
        }
        ArrayNode merges = model.putArray("merges");
        for (int r = 0; r < bpe.mergeCount(); r++) {
            merges.addArray().add(strings[bpe.mergeLeft(r)]).add(strings[bpe.mergeRight(r)]);
        }
        return root;
    }

    private static ObjectNode stepJson(PreTokenizer.Step step) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        if (step instanceof PreTokenizer.Split s) {
            n.put("type", "Split");
            n.putObject("pattern").put("Regex", s.pattern());
            n.put("behavior", s.behavior().name());
            n.put("invert", s.invert());
        } else if (step instanceof PreTokenizer.ByteLevelStep b) {
            n.put("type", "ByteLevel");
            n.put("add_prefix_space", b.addPrefixSpace());
            n.put("trim_offsets", b.trimOffsets());
            n.put("use_regex", b.useRegex());
        }
        return n;
    }
}
