package dev.quokka.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataOutputStream;

/**
 * A run's metrics: one typed row per logged step and per evaluation, written to {@code metrics/train.csv},
 * {@code metrics/eval.csv} and the TensorBoard event file from the same record (docs/formats.md). Rows hold their
 * values as the CSV prints them, so the CSV, the events and a resumed run's re-read rows agree to the digit.
 */
final class Metrics implements AutoCloseable {
    /** A training step: {@code step,tokens,epoch,lr,train_loss,grad_norm,tokens_per_s}. */
    record Train(long step, long tokens, double epoch, double lr, double loss, double gradNorm, double tokensPerSecond) {
        static final String HEADER = "step,tokens,epoch,lr,train_loss,grad_norm,tokens_per_s";

        /** The row as the CSV holds it: rounded to the printed digits. */
        static Train of(long step, long tokens, double epoch, double lr, double loss, double gradNorm, double tokensPerSecond) {
            return parse(new Train(step, tokens, epoch, lr, loss, gradNorm, tokensPerSecond).csv());
        }

        String csv() {
            return String.format("%d,%d,%.6f,%.6e,%.6f,%.6f,%.1f", step, tokens, epoch, lr, loss, gradNorm, tokensPerSecond);
        }

        static Train parse(String line) {
            String[] f = line.split(",");
            return new Train(Long.parseLong(f[0]), Long.parseLong(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                    Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]));
        }

        Map<String, Double> scalars() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("train/epoch", epoch);
            m.put("train/lr", lr);
            m.put("train/loss", loss);
            m.put("train/grad_norm", gradNorm);
            m.put("train/tokens_per_s", tokensPerSecond);
            return m;
        }
    }

    /**
     * An evaluation: {@code step,tokens,epoch,lr,val_loss,boundary,val_se,val_se_change}; {@code boundary} when it
     * is an epoch boundary's, {@code standardError} over validation windows, {@code changeError} the paired error of
     * the change since the previous evaluation (NaN for the first).
     */
    record Eval(long step, long tokens, double epoch, double lr, double loss, boolean boundary, double standardError, double changeError) {
        static final String HEADER = "step,tokens,epoch,lr,val_loss,boundary,val_se,val_se_change";

        /** The row as the CSV holds it: rounded to the printed digits. */
        static Eval of(long step, long tokens, double epoch, double lr, double loss, boolean boundary, double standardError, double changeError) {
            return parse(new Eval(step, tokens, epoch, lr, loss, boundary, standardError, changeError).csv());
        }

        String csv() {
            return String.format("%d,%d,%.6f,%.6e,%.6f,%b,%.6f,%.6f", step, tokens, epoch, lr, loss, boundary, standardError, changeError);
        }

        static Eval parse(String line) {
            String[] f = line.split(",");
            return new Eval(Long.parseLong(f[0]), Long.parseLong(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                    Double.parseDouble(f[4]), Boolean.parseBoolean(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7]));
        }

        Map<String, Double> scalars() {
            return Map.of("val/loss", loss);
        }
    }

    private final FSDataOutputStream train, eval;
    private final TensorBoardEvents events;

    /**
     * Opens the run's metrics afresh, keeping the rows a resume keeps: the CSVs start over with their header and
     * those rows, and the event file holds exactly what they hold, in step order.
     */
    Metrics(RunFiles run, List<Train> keptTrain, List<Eval> keptEval) throws IOException {
        train = run.csv(RunFiles.TRAIN, Train.HEADER, keptTrain.stream().map(Train::csv).toList());
        eval = run.csv(RunFiles.EVAL, Eval.HEADER, keptEval.stream().map(Eval::csv).toList());
        double now = System.currentTimeMillis() / 1e3;
        events = new TensorBoardEvents(run.fs.create(run.path(RunFiles.EVENTS), true), now);
        int e = 0;
        for (Train t : keptTrain) {
            for (; e < keptEval.size() && keptEval.get(e).step() <= t.step(); e++) events.scalars(keptEval.get(e).step(), now, keptEval.get(e).scalars());
            events.scalars(t.step(), now, t.scalars());
        }
        for (; e < keptEval.size(); e++) events.scalars(keptEval.get(e).step(), now, keptEval.get(e).scalars());
    }

    /** The kept rows of a run's train.csv, up to {@code lastStep}. */
    static List<Train> trainRows(RunFiles run, long lastStep) throws IOException {
        List<Train> rows = new ArrayList<>();
        for (String line : run.rows(RunFiles.TRAIN, lastStep)) rows.add(Train.parse(line));
        return rows;
    }

    /** The kept rows of a run's eval.csv, up to {@code lastStep}. */
    static List<Eval> evalRows(RunFiles run, long lastStep) throws IOException {
        List<Eval> rows = new ArrayList<>();
        for (String line : run.rows(RunFiles.EVAL, lastStep)) rows.add(Eval.parse(line));
        return rows;
    }

    void write(Train row) throws IOException {
        train.write((row.csv() + "\n").getBytes(StandardCharsets.UTF_8));
        events.scalars(row.step(), System.currentTimeMillis() / 1e3, row.scalars());
    }

    /** An evaluation is made visible at once: a reader of a running run sees every evaluation so far. */
    void write(Eval row) throws IOException {
        eval.write((row.csv() + "\n").getBytes(StandardCharsets.UTF_8));
        eval.hflush();
        events.scalars(row.step(), System.currentTimeMillis() / 1e3, row.scalars());
        events.flush();
    }

    /** Out of this process's buffers: before a checkpoint exists, so that a resume finds the metrics up to it. */
    void flush() throws IOException {
        train.hflush();
        events.flush();
    }

    @Override
    public void close() throws IOException {
        try (train; eval; events) {
            // closes all three, whichever fails
        }
    }
}
