package org.mlp4j.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import org.mlp4j.TrainingDivergedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code mlp4j} command line: {@code train}, {@code eval} and {@code predict}. Run it through the
 * {@code ./mlp4j} launcher or {@code java --add-modules jdk.incubator.vector -jar mlp4j-<version>-cli.jar}.
 *
 * <p>Exit codes: 0 success, 1 runtime error (unreadable file, bad model, ...), 2 usage error, 3 training
 * diverged (the last finite parameters were saved).
 */
@Command(name = "mlp4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train, evaluate and run multilayer perceptrons (pure Java, Java Vector API).",
        subcommands = {TrainCommand.class, EvalCommand.class, PredictCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
                "  mlp4j train                         train the default MNIST net (downloads MNIST once)",
                "  mlp4j eval --model model.safetensors",
                "  mlp4j predict --model model.safetensors --input x.csv --output y.csv",
                "Run 'mlp4j COMMAND --help' for the options of a command."})
public final class Main implements Runnable {
    /** Exit code when training diverged. */
    public static final int EXIT_DIVERGED = 3;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "expected a command: train, eval or predict");
    }

    public static void main(String[] args) {
        // Charts are drawn off-screen; never try to open a display.
        System.setProperty("java.awt.headless", "true");
        PrintWriter out = new PrintWriter(System.out, true, Charset.defaultCharset());
        PrintWriter err = new PrintWriter(System.err, true, Charset.defaultCharset());
        System.exit(run(out, err, args));
    }

    /** Runs the command line with the given streams and returns the exit code (for embedding and tests). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        System.setProperty("java.awt.headless", "true");
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args2) -> {
            CommandLine c = ex.getCommandLine();
            err.println(c.getCommandName() + ": " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Run '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
            err.flush();
            return c.getCommandSpec().exitCodeOnInvalidInput();
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            err.println(commandLine.getCommandName() + ": error: " + message(ex));
            err.flush();
            return ex instanceof TrainingDivergedException ? EXIT_DIVERGED : 1;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String message(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            return ex.toString();
        }
        if (ex instanceof java.nio.file.NoSuchFileException && !m.contains(" ")) {
            return "no such file: " + m;
        }
        return m;
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"mlp4j " + (v == null ? "(development build)" : v),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
