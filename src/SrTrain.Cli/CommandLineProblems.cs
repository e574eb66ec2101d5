using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SrTrain.Config;

namespace SrTrain.Cli;

/// <summary>Turns what System.CommandLine finds wrong with a command line into the one line a user error gets (exit
/// code 2, no help dump), and catches what it does not find: a misspelt option such as <c>-i</c> or
/// <c>--overwite</c> that a command with a list of input arguments would otherwise swallow as an input path.</summary>
public static class CommandLineProblems
{
    /// <summary>The first problem with the command line as one line, or null when it is fine.</summary>
    public static string? Find(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var name = CommandPath(parse.CommandResult);
        if (parse.Errors.Count > 0)
        {
            // A misspelt command also leaves "Required command was not provided"; the misspelling is the news.
            var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            return $"{name}: {Rewrite(error.Message, command, (error.SymbolResult as OptionResult)?.Option.Name)}; see `{name} --help`";
        }

        // Tokens after "--" are inputs whatever they look like (a file named "-x.png").
        var tokens = parse.Tokens;
        int doubleDash = -1;
        for (int i = 0; i < tokens.Count; i++)
            if (tokens[i].Type == TokenType.DoubleDash) { doubleDash = i; break; }
        // An option that takes several values (eval --model a b) swallows a misspelt option after it the same way.
        foreach (var option in parse.CommandResult.Children.OfType<OptionResult>())
            foreach (var token in option.Tokens)
                if (token.Value.StartsWith("--", StringComparison.Ordinal) && token.Value.Length > 2 && (doubleDash < 0 || IndexOf(tokens, token) < doubleDash))
                    return $"{name}: {UnknownOption(token.Value, command)}; see `{name} --help`";
        foreach (var argument in command.Arguments)
        {
            if (parse.GetResult(argument) is not ArgumentResult result) continue;
            foreach (var token in result.Tokens)
            {
                var value = token.Value;
                if (value.Length < 2 || value[0] != '-' || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) continue;
                int at = IndexOf(tokens, token);
                if (doubleDash >= 0 && at > doubleDash) continue;
                return $"{name}: {UnknownOption(value, command)}; see `{name} --help` (an input that starts with '-' goes after `--`)";
            }
        }
        return null;
    }

    static int IndexOf(IReadOnlyList<Token> tokens, Token token)
    {
        for (int i = 0; i < tokens.Count; i++)
            if (ReferenceEquals(tokens[i], token)) return i;
        return -1;
    }

    static string CommandPath(CommandResult r)
    {
        var names = new List<string>();
        for (SymbolResult? s = r; s != null; s = s.Parent)
            if (s is CommandResult c) names.Insert(0, c.Command.Name);
        return string.Join(" ", names);
    }

    /// <summary>System.CommandLine's messages name .NET types ("as expected type 'System.Int32'"); users know numbers.</summary>
    static string Rewrite(string message, Command command, string? option = null)
    {
        // "Argument 'tif' not recognized. Must be one of:\n\t'auto'\n\t'png'…": one line, without tabs.
        const string notAmong = " not recognized. Must be one of:";
        int among = message.IndexOf(notAmong, StringComparison.Ordinal);
        if (message.StartsWith("Argument '", StringComparison.Ordinal) && among > 0)
        {
            var value = message["Argument ".Length..among];
            var choices = message[(among + notAmong.Length)..].Split(['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries)
                .Select(c => c.Trim('\'', '.'));
            return $"{(option is null ? "" : option + " ")}{value} is not one of {string.Join(", ", choices)}";
        }
        const string unrecognized = "Unrecognized command or argument '";
        if (message.StartsWith(unrecognized, StringComparison.Ordinal))
        {
            var token = message[unrecognized.Length..].TrimEnd('.', '\'');
            return token.StartsWith('-') ? UnknownOption(token, command) : $"unexpected argument '{token}'{SuggestCommand(token, command)}";
        }
        const string cannotParse = "Cannot parse argument '";
        if (message.StartsWith(cannotParse, StringComparison.Ordinal))
        {
            // "Cannot parse argument 'abc' for option '--tile' as expected type 'System.Int32'."
            var parts = message.Split('\'');
            if (parts.Length >= 6)
                return $"{parts[3]}: '{parts[1]}' is not {Describe(parts[5])}";
        }
        return message.TrimEnd('.').Replace("\n", " ").Replace("\r", "");
    }

    static string Describe(string typeName) => typeName switch
    {
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "a whole number",
        "System.Double" or "System.Single" or "System.Nullable`1[System.Double]" => "a number",
        "System.Boolean" => "true or false",
        _ => "a valid value",
    };

    static string UnknownOption(string token, Command command)
    {
        var known = KnownOptionNames(command).ToList();
        var best = DidYouMean.Closest(token, known);
        return $"unknown option '{token}'" + (best != null ? $" (did you mean '{best}'?)" : "");
    }

    static string SuggestCommand(string token, Command command)
    {
        var best = DidYouMean.Closest(token, command.Subcommands.Select(c => c.Name));
        return best != null ? $" (did you mean '{best}'?)" : command.Subcommands.Count > 0 ? $" (commands: {string.Join(", ", command.Subcommands.Select(c => c.Name))})" : "";
    }

    static IEnumerable<string> KnownOptionNames(Command command)
    {
        foreach (var o in command.Options)
        {
            yield return o.Name;
            foreach (var a in o.Aliases) yield return a;
        }
        foreach (var parent in command.Parents.OfType<Command>())
            foreach (var o in parent.Options.Where(o => o.Recursive))
            {
                yield return o.Name;
                foreach (var a in o.Aliases) yield return a;
            }
    }
}
