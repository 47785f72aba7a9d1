package dev.quokka.jobs.cli;

import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.training.Generator;
import dev.quokka.training.Objective;
import dev.quokka.training.TrainConfig;
import dev.quokka.training.TrainedModel;
import dev.quokka.training.engines.Engines;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Sample from a run's latest checkpoint: AR left to right; the DLM by iterative unmasking with "
                + "low-confidence remasking. The text fills at most one window of the study's L tokens.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A run directory") String run;
    @Option(names = "--prompt", defaultValue = "The", description = "Text to continue (default: ${DEFAULT-VALUE})") String prompt;
    @Option(names = "--tokens", defaultValue = "0", description = "AR: stop after this many tokens, prompt included (default: the window)") int tokens;
    @Option(names = "--steps", defaultValue = "32", description = "DLM: unmasking rounds (the uniform kernel: denoising rounds) (default: ${DEFAULT-VALUE})") int steps;
    @Option(names = "--temperature", defaultValue = "0.8", description = "0 for greedy (default: ${DEFAULT-VALUE})") double temperature;
    @Option(names = "--samples", defaultValue = "3", description = "How many samples (default: ${DEFAULT-VALUE})") int samples;
    @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})") long seed;

    @Override
    public Integer call() throws Exception {
        if (steps <= 0) throw new IllegalArgumentException("--steps must be positive, not " + steps);
        if (samples <= 0) throw new IllegalArgumentException("--samples must be positive, not " + samples);
        if (tokens < 0) throw new IllegalArgumentException("--tokens must be >= 0 (0: the window), not " + tokens);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("--temperature must be >= 0 (0: greedy), not " + temperature);
        TrainedModel model = TrainedModel.open(run, Engines.singleProcess(), new Configuration());
        Tokenizer tokenizer = model.tokenizer();
        int[] ids = tokenizer.encode(prompt);
        Generator g = new Generator(model.engine(), temperature, seed);
        TrainConfig cfg = model.config();
        boolean uniform = cfg.diffusion() && cfg.dlm().kernel() == Objective.Kernel.UNIFORM;
        System.out.printf("%s, %s; %s%n", model.checkpoint(), cfg.objective(), !cfg.diffusion() ? "left to right"
                : uniform ? steps + " denoising rounds of the uniform kernel" : steps + " unmasking rounds");
        for (int i = 0; i < samples; i++) {
            int[] out = !cfg.diffusion() ? g.autoregressive(ids, tokens > 0 ? tokens : model.engine().length())
                    : uniform ? g.uniformDiffusion(ids, cfg.dlm().maskSchedule(), steps)
                    : g.diffusion(ids, tokenizer.specialTokens().maskId().orElseThrow(), steps);
            System.out.println("--- sample " + (i + 1));
            System.out.println(tokenizer.decode(out));
        }
        return 0;
    }
}
