package dev.quokka.jobs.bench;

import picocli.CommandLine.Command;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks that run quokka and a reference side by side in one process and print the ratio.",
        subcommands = {TokenizerBench.class, TokenizeBench.class, TrainBench.class, SweepBench.class, DataParallelBench.class, FitBench.class})
public final class BenchCommand {}
