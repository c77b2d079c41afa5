package dev.l2c.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command's help: every option and parameter described, every line within 80 columns. */
class HelpTextTest {
    private static void collect(CommandLine cl, List<CommandLine> into) {
        into.add(cl);
        cl.getSubcommands().values().forEach(sub -> collect(sub, into));
    }

    @Test
    void everyOptionIsDescribedAndEveryHelpLineFitsEightyColumns() {
        List<CommandLine> all = new ArrayList<>();
        collect(Main.commandLine(), all);
        assertTrue(all.size() >= 12, all.size() + " commands");
        List<String> problems = new ArrayList<>();
        for (CommandLine cl : all) {
            CommandSpec spec = cl.getCommandSpec();
            String name = spec.qualifiedName();
            for (OptionSpec o : spec.options()) {
                if (o.usageHelp() || o.versionHelp()) {
                    continue;
                }
                if (String.join("", o.description()).isBlank()) {
                    problems.add(name + " " + o.longestName() + ": no description");
                }
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (String.join("", p.description()).isBlank()) {
                    problems.add(name + " " + p.paramLabel() + ": no description");
                }
            }
            for (String line : cl.getUsageMessage(CommandLine.Help.Ansi.OFF).split("\n")) {
                if (line.length() > 80) {
                    problems.add(name + ": a help line of " + line.length() + " columns: " + line);
                }
            }
        }
        assertEquals(List.of(), problems);
    }
}
