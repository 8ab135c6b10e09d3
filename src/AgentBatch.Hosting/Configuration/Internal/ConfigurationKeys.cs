using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace AgentBatch.Hosting.Internal;

/// <summary>Finds the keys of a configuration section that name no setting, so a misspelt one stops the host instead of being ignored.</summary>
/// <remarks>
/// A key is a setting when it names a public property of the options type (case-insensitively, as the binder reads
/// it) or one of the extra keys allowed. The check goes into AgentBatch's own settings types (<see cref="ModelPricing"/>
/// under <c>Pricing</c>, each <see cref="AgentProfile"/> under <c>Profiles:NAME</c>); it does not look inside values
/// of other types, which the binder reads as it always does.
/// </remarks>
internal static class ConfigurationKeys
{
    /// <summary>Returns one message per unknown key under <paramref name="section"/>, naming its path and, when one is close, the setting meant.</summary>
    public static List<string> FindUnknown(IConfiguration section, string path, Type optionsType, IReadOnlyCollection<string> extraKeys)
    {
        var failures = new List<string>();
        Check(section, path, optionsType, extraKeys, failures);
        return failures;
    }

    /// <summary>Joins a section path and a key the way configuration does.</summary>
    public static string Join(string path, string key) => path.Length == 0 ? key : path + ConfigurationPath.KeyDelimiter + key;

    private static void Check(IConfiguration section, string path, Type type, IReadOnlyCollection<string> extraKeys, List<string> failures)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            var childPath = Join(path, child.Key);
            if (properties.TryGetValue(child.Key, out var property))
            {
                CheckValue(child, childPath, property.PropertyType, failures);
            }
            else if (!extraKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var meant = Closest(child.Key, properties.Keys.Concat(extraKeys));
                failures.Add(meant is null ? $"{childPath} is not a setting." : $"{childPath} is not a setting (did you mean {meant}?)");
            }
        }
    }

    private static void CheckValue(IConfigurationSection section, string path, Type type, List<string> failures)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsSettingsType(type))
        {
            Check(section, path, type, [], failures);
            return;
        }

        // A dictionary's keys are names and a list's are indexes: only their values can hold settings.
        if (ElementType(type) is { } element && IsSettingsType(element))
        {
            foreach (var child in section.GetChildren())
            {
                Check(child, Join(path, child.Key), element, [], failures);
            }
        }
    }

    /// <summary>AgentBatch's own settings classes; other types' shapes are the binder's business.</summary>
    private static bool IsSettingsType(Type type) =>
        type.IsClass && !type.IsAbstract && type.Namespace is { } ns && (ns == "AgentBatch" || ns.StartsWith("AgentBatch.", StringComparison.Ordinal));

    /// <summary>The value type of a dictionary keyed by string, or the element type of a sequence.</summary>
    private static Type? ElementType(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        var interfaces = type.IsInterface ? type.GetInterfaces().Append(type) : type.GetInterfaces();
        var generic = interfaces.Where(i => i.IsGenericType).ToList();
        var dictionary = generic.FirstOrDefault(i => i.GetGenericTypeDefinition() == typeof(IDictionary<,>) && i.GetGenericArguments()[0] == typeof(string));
        if (dictionary is not null)
        {
            return dictionary.GetGenericArguments()[1];
        }

        return generic.FirstOrDefault(i => i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }

    /// <summary>The candidate a typing slip away from <paramref name="key"/>, if any.</summary>
    private static string? Closest(string key, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal))
        {
            var distance = Distance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance && distance <= Math.Max(1, Math.Min(key.Length, candidate.Length) / 4))
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best;
    }

    /// <summary>Edits (insert, delete, replace, swap two neighbours) that turn <paramref name="a"/> into <paramref name="b"/>.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
