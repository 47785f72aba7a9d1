package dev.quokka.jobs.cli;

import dev.quokka.dataprep.export.MegatronExportJob;
import dev.quokka.dataprep.provenance.ExportManifest;
import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.training.engines.Engines;
import dev.quokka.training.export.SafetensorsExport;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Studies out to the GPU trainers. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Export a study for the GPU trainers (Megatron-LM, MegaDLMs).",
        subcommands = {ExportCommand.Megatron.class, ExportCommand.SafetensorsModel.class})
public final class ExportCommand {
    @Command(name = "megatron", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Write a study as Megatron-LM indexed datasets: <output>/train.bin and train.idx (the unique subset, one "
                    + "Megatron document per study document, in the study's order, end-of-document tokens kept) and valid.bin and "
                    + "valid.idx (the validation set), with _manifest.json linking them to the study's manifest. Give Megatron "
                    + "--data-path <output>/train (and the validation prefix to --valid-data-path). A Spark job: executors write "
                    + "the documents' bytes, the driver joins them in order; the counts are checked against the study before "
                    + "anything is committed."})
    static final class Megatron implements Callable<Integer> {
        @Option(names = "--study", required = true, description = "A complete study (quokka shard)") String study;
        @Option(names = "--output", required = true, description = "The export directory") String output;
        @Option(names = "--dtype", defaultValue = "auto", description = "Token dtype: auto (Megatron's choice: uint16 for vocabularies under "
                + "65,500 ids, int32 otherwise), uint16 or int32 (default: ${DEFAULT-VALUE})") String dtype;
        @Option(names = "--stream", description = "Also write stream.bin/.idx: every training sequence of the study (L + 1 tokens, as this "
                + "project's trainer reads them) in its training order, one Megatron document each, for trainers that must reproduce "
                + "the order instead of reshuffling") boolean stream;

        @Override
        public Integer call() throws Exception {
            if (!java.util.List.of("auto", "uint16", "int32").contains(dtype)) throw new IllegalArgumentException("--dtype must be auto, uint16 or int32, not " + dtype);
            MegatronExportJob.Result r = MegatronExportJob.run(SparkSessions.get("quokka export megatron"), new MegatronExportJob.Config(study, output, dtype, stream));
            for (ExportManifest.Split s : r.manifest().splits()) {
                System.out.printf("%s: %,d documents, %,d tokens (%s), %s.bin sha256 %s%n", s.name(), s.documents(), s.tokens(), r.manifest().dtype(),
                        s.name(), s.binSha256());
            }
            System.out.println("wrote " + r.output());
            return 0;
        }
    }

    @Command(name = "safetensors", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Write a run's checkpoint as <output>/model.safetensors (float32, matrices as [in, out], descriptive names such "
                    + "as layers.0.attention.wq.weight), config.json (d, layers, heads, MLP width, RoPE base, norms, causal or "
                    + "bidirectional attention, the mask token id) and the run's tokenizer.json, to load the model in PyTorch."})
    static final class SafetensorsModel implements Callable<Integer> {
        @Option(names = "--run", required = true, description = "A run directory") String run;
        @Option(names = "--checkpoint", paramLabel = "STEP", description = "The checkpoint's step (default: the latest)") Long step;
        @Option(names = "--output", required = true, description = "The export directory") String output;

        @Override
        public Integer call() throws Exception {
            if (step != null && step < 0) throw new IllegalArgumentException("--checkpoint must be a step, not " + step);
            SafetensorsExport.Result r = SafetensorsExport.run(run, step, output, Engines.singleProcess(), new org.apache.hadoop.conf.Configuration());
            System.out.printf("%s: %d tensors, %,d parameters from %s%nwrote %s%n", run, r.tensors(), r.parameters(), r.checkpoint(), r.output());
            return 0;
        }
    }
}
