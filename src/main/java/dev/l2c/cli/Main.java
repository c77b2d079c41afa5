package dev.l2c.cli;

import dev.l2c.error.Cancellation;
import dev.l2c.error.Interrupted;
import dev.l2c.error.L2cException;
import dev.l2c.runtime.OrtRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * {@code l2c}: compile Learning-to-Cache schedules for diffusion transformers into per-step ONNX
 * graphs and run them. A user error prints one line ("l2c: FILE: problem") and exits with the code of
 * its kind (see {@link L2cException}); {@code --verbose} adds the stack trace. Exit 1 is an internal
 * error, which always shows its stack trace: it is a bug.
 */
@Command(name = "l2c", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, versionProvider = Main.Version.class,
        description = "Ahead-of-time Learning-to-Cache for diffusion transformers: compile cache schedules into "
                + "per-step ONNX graphs and sample with ONNX Runtime.",
        subcommands = {InspectCommand.class, ScheduleCommand.class, CompileCommand.class, SampleCommand.class, VerifyCommand.class,
                CacheCommand.class,
                LearnCommand.class, BenchCommand.class, MemoryBenchCommand.class, BuildModelCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Option(names = "--verbose", description = "Show stack traces and details of errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        // charts and image grids are drawn off-screen
        System.setProperty("java.awt.headless", "true");
        Cancellation.installSignalHandlers();
        int code = checkStandardOutput(run(args), System.out, System.err);
        OrtRuntime.removeNativeStagingFolder();
        System.exit(code);
    }

    /**
     * The exit code once standard output is flushed: PrintStream swallows write errors, so {@code
     * inspect --json > file} on a full disk would otherwise exit 0 with truncated JSON.
     */
    static int checkStandardOutput(int code, java.io.PrintStream out, java.io.PrintStream err) {
        out.flush();
        if (out.checkError() && code == 0) {
            err.println("l2c: standard output: writing failed (full disk or closed pipe); the output is incomplete");
            return 6;
        }
        return code;
    }

    /** Runs the CLI and returns the exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = commandLine();
        return afterStop(execute(cl, args), cl.getErr());
    }

    /** picocli's execute, with the Java heap running out reported as one line (exit 8) like other errors. */
    private static int execute(CommandLine cl, String... args) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            PrintWriter err = cl.getErr();
            err.println("l2c: out of memory: the Java heap (" + Runtime.getRuntime().maxMemory() / (1 << 20)
                    + " MiB) is too small for this work; give it more with L2C_JAVA_OPTS=-Xmx8g, or do less at once");
            err.flush();
            return new dev.l2c.error.OutOfMemory(null, "").exitCode();
        }
    }

    /** A stop that arrived after the command finished still ends the process with the signal's status. */
    private static int afterStop(int code, PrintWriter err) {
        if (code == 0 && Cancellation.requested()) {
            Interrupted i = Cancellation.interrupted();
            err.println("l2c: " + i.getMessage().replace("no output left half-written", "the outputs were complete"));
            err.flush();
            return i.exitCode();
        }
        return code;
    }

    /** Runs the CLI with error messages going to {@code err} (for tests). */
    public static int run(PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setErr(err);
        return afterStop(execute(cl, args), err);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            PrintWriter err = commandLine.getErr();
            Throwable cause = ex;
            if (Cancellation.requested()) {
                // whatever the stop made fail (a terminated run, a file left unwritten) is the stop
                cause = Cancellation.interrupted();
            }
            if (cause instanceof L2cException le) {
                err.println("l2c: " + le.getMessage());
                if (verbose) {
                    le.printStackTrace(err);
                }
                err.flush();
                return le.exitCode();
            }
            err.println("l2c: internal error (a bug, please report it): " + ex);
            ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("l2c: " + ex.getMessage());
            err.println("(run `l2c " + commandPath(ex.getCommandLine()) + " --help` for the options)");
            err.flush();
            return 2;
        });
        return cl;
    }

    private static String commandPath(CommandLine cl) {
        String path = cl.getCommandSpec().qualifiedName(" ");
        return path.startsWith("l2c ") ? path.substring(4) : "";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{dev.l2c.ToolVersion.nameAndVersion()};
        }
    }
}
