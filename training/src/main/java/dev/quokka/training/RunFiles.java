package dev.quokka.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quokka.dataprep.provenance.AtomicOutput;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.provenance.RunManifest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A run directory, on any Hadoop FileSystem:
 * <pre>
 *   run.json                        the manifest: config, shape, both N conventions, FLOPs, study hash, versions, status
 *   metrics/train.csv               per step:        step,tokens,epoch,lr,train_loss,grad_norm,tokens_per_s
 *   metrics/eval.csv                per evaluation:  step,tokens,epoch,lr,val_loss,boundary,val_se (its standard error),
 *                                                    val_se_change (that of the change since the previous evaluation)
 *   events.out.tfevents.quokka      the same scalars for TensorBoard (rewritten from the CSVs on resume)
 *   checkpoints/step-NNNNNNNN/      state.bin and checkpoint.json, each made whole by a rename
 * </pre>
 */
final class RunFiles {
    static final String MANIFEST = "run.json", TRAIN = "metrics/train.csv", EVAL = "metrics/eval.csv", EVENTS = "events.out.tfevents.quokka";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    final Path dir;
    final FileSystem fs;

    RunFiles(String dir, Configuration conf) throws IOException {
        this.dir = new Path(dir);
        FileSystem f = this.dir.getFileSystem(conf);
        // The checksummed local FS holds back the last partial 512-byte chunk of a stream until it is closed, so a
        // local run's metrics would not show until it ended; it also strews .crc files. Local runs write directly.
        this.fs = f instanceof LocalFileSystem local ? local.getRawFileSystem() : f;
    }

    Path path(String name) {
        return new Path(dir, name);
    }

    boolean hasManifest() throws IOException {
        return fs.exists(path(MANIFEST));
    }

    JsonNode manifest() throws IOException {
        try (var in = fs.open(path(MANIFEST))) {
            return JSON.readTree(in);
        }
    }

    RunManifest typedManifest() throws IOException {
        return ManifestJson.read(manifest(), RunManifest.class);
    }

    /** Replaces the manifest whole: written beside it, then renamed over it. */
    void writeManifest(RunManifest m) throws IOException {
        AtomicOutput.writeFile(fs, path(MANIFEST), JSON.writeValueAsBytes(ManifestJson.tree(m)));
    }

    /** The CSV's data rows whose step is at most {@code lastStep}; none if the file does not exist. */
    List<String> rows(String name, long lastStep) throws IOException {
        List<String> rows = new ArrayList<>();
        if (!fs.exists(path(name))) return rows;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(path(name)), StandardCharsets.UTF_8))) {
            r.readLine();
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isEmpty() && Long.parseLong(line.substring(0, line.indexOf(','))) <= lastStep) rows.add(line);
            }
        }
        return rows;
    }

    /** Opens a CSV for appending, starting over with its header and the given rows; hflush makes rows visible. */
    FSDataOutputStream csv(String name, String header, List<String> rows) throws IOException {
        FSDataOutputStream out = fs.create(path(name), true);
        out.write((header + "\n").getBytes(StandardCharsets.UTF_8));
        for (String row : rows) out.write((row + "\n").getBytes(StandardCharsets.UTF_8));
        return out;
    }
}
