package org.mlp4j.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;
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
                "  mlp4j train                         train the default MNIST net (the repository's copy of MNIST)",
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

    /** Environment variable that turns the library's informational log lines back on ({@code MLP4J_LOG=info}). */
    static final String LOG_ENV = "MLP4J_LOG";

    public static void main(String[] args) {
        // Charts are drawn off-screen; never try to open a display.
        System.setProperty("java.awt.headless", "true");
        configureLogging(System.getenv(LOG_ENV));
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

    /**
     * The library logs through java.util.logging, whose default format takes two lines per message and names
     * internal classes. The command line prints what matters itself (the kernels are in the train header), so
     * only warnings are shown, as one line each: {@code mlp4j: <message>}. {@code MLP4J_LOG=info} (or
     * {@code fine}, ...) shows more; a logging configuration of the user's own
     * ({@code -Djava.util.logging.config.file}) is left alone.
     */
    static void configureLogging(String level) {
        if (System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null) {
            return;
        }
        Level threshold = Level.WARNING;
        if (level != null && !level.isBlank()) {
            try {
                threshold = Level.parse(level.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                System.err.println("mlp4j: " + LOG_ENV + ": expected a level such as info or warning, got '" + level
                        + "'; using warning");
            }
        }
        Logger lib = Logger.getLogger("org.mlp4j");
        lib.setUseParentHandlers(false);
        lib.setLevel(threshold);
        Handler h = new StreamHandler(System.err, new Formatter() {
            @Override
            public String format(LogRecord r) {
                String m = formatMessage(r);
                return (m.startsWith("mlp4j") ? m : "mlp4j: " + m) + System.lineSeparator();
            }
        }) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        h.setLevel(Level.ALL);
        for (Handler old : lib.getHandlers()) {
            lib.removeHandler(old);
        }
        lib.addHandler(h);
        LOGGING_HANDLER[0] = h; // keep the logger (and so its handler) strongly reachable
        LOGGING_HANDLER[1] = lib;
    }

    private static final Object[] LOGGING_HANDLER = new Object[2];

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
