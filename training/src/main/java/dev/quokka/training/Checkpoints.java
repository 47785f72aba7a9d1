package dev.quokka.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints of a run: the engine's parameters and optimiser state ({@code state.bin}) and where training stood
 * ({@code checkpoint.json}: step, sequences read, and the SHA-256 of the state). The noise for step s is drawn from
 * a generator seeded by (seed, s), so the step is the whole RNG state. A checkpoint is written under a temporary
 * name and renamed into place, so a listed checkpoint is complete; an existing one is never overwritten.
 */
public final class Checkpoints {
    static final String DIR = "checkpoints", STATE = "state.bin", INFO = "checkpoint.json", WINDOWS = "val-windows.bin";

    /** Where a checkpoint stands. */
    public record Position(long step, long sequences, double epoch, double lr) {}

    private Checkpoints() {}

    static String name(long step) {
        return String.format("step-%08d", step);
    }

    /**
     * @param windows the per-window losses of the run's latest evaluation (or null): a resume needs them for the
     *                next evaluation's {@code val_se_change}, as an uninterrupted run has them in memory
     */
    static Path save(FileSystem fs, Path run, Engine engine, Position p, String configSha, double[] windows) throws IOException {
        Path target = new Path(new Path(run, DIR), name(p.step()));
        if (fs.exists(target)) return target;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            engine.save(out);
        }
        byte[] state = bytes.toByteArray();
        ObjectNode info = JsonNodeFactory.instance.objectNode();
        info.put("step", p.step()).put("sequences", p.sequences()).put("epoch", p.epoch()).put("lr", p.lr());
        info.put("updates", engine.updates());
        info.put("rng", "SplittableRandom seeded by (seed, step): the step is the state");
        info.put("config_sha256", configSha);
        info.put("state_sha256", sha256(state));
        Path tmp = new Path(new Path(run, DIR), "." + name(p.step()) + ".tmp");
        fs.delete(tmp, true);
        fs.mkdirs(tmp);
        try (var out = fs.create(new Path(tmp, STATE))) {
            out.write(state);
        }
        if (windows != null) {
            info.put("val_windows", windows.length);
            try (DataOutputStream out = new DataOutputStream(fs.create(new Path(tmp, WINDOWS)))) {
                for (double w : windows) out.writeDouble(w);
            }
        }
        try (var out = fs.create(new Path(tmp, INFO))) {
            out.write(RunFiles.JSON.writeValueAsBytes(info));
        }
        if (!fs.rename(tmp, target)) throw new IOException("could not rename " + tmp + " to " + target);
        return target;
    }

    /** The latest complete checkpoint of a run, or null. */
    public static Path latest(FileSystem fs, Path run) throws IOException {
        Path dir = new Path(run, DIR);
        if (!fs.exists(dir)) return null;
        Path best = null;
        for (FileStatus f : fs.listStatus(dir, p -> p.getName().startsWith("step-"))) {
            if (best == null || f.getPath().getName().compareTo(best.getName()) > 0) best = f.getPath();
        }
        return best;
    }

    /** Loads a checkpoint into the engine after checking the state's hash; returns its position. */
    public static Position load(FileSystem fs, Path checkpoint, Engine engine) throws IOException {
        JsonNode info;
        byte[] state;
        try (var in = fs.open(new Path(checkpoint, INFO))) {
            info = RunFiles.JSON.readTree(in);
        }
        try (var in = fs.open(new Path(checkpoint, STATE))) {
            state = in.readAllBytes();
        } catch (org.apache.hadoop.fs.ChecksumException e) { // the local file system's own .crc caught it first
            throw new IOException(new Path(checkpoint, STATE) + " is corrupt: " + e.getMessage(), e);
        }
        String expected = info.path("state_sha256").asText();
        if (!expected.equals(sha256(state))) {
            throw new IOException(new Path(checkpoint, STATE) + " is corrupt: its SHA-256 is not the " + expected + " recorded in " + INFO);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            engine.load(in);
        } catch (IOException e) {
            throw new IOException(checkpoint + ": " + e.getMessage(), e);
        }
        return new Position(info.get("step").asLong(), info.get("sequences").asLong(), info.get("epoch").asDouble(), info.get("lr").asDouble());
    }

    /** The per-window losses of the latest evaluation before the checkpoint, or null if it kept none. */
    static double[] windows(FileSystem fs, Path checkpoint) throws IOException {
        int n = info(fs, checkpoint).path("val_windows").asInt(0);
        if (n == 0) return null;
        double[] w = new double[n];
        try (DataInputStream in = new DataInputStream(fs.open(new Path(checkpoint, WINDOWS)))) {
            for (int i = 0; i < n; i++) w[i] = in.readDouble();
        }
        return w;
    }

    static JsonNode info(FileSystem fs, Path checkpoint) throws IOException {
        try (var in = fs.open(new Path(checkpoint, INFO))) {
            return RunFiles.JSON.readTree(in);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
