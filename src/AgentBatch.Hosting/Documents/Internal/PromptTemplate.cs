using System.Text;

namespace AgentBatch.Hosting.Internal;

/// <summary>A profile's prompt, split once into literal text and <c>{name}</c>/<c>{text}</c> holes.</summary>
/// <remarks>Filled in one pass, so a document whose text contains <c>{name}</c> is sent as written.</remarks>
internal sealed class PromptTemplate
{
    private const string NameHole = "{name}";
    private const string TextHole = "{text}";
    private readonly List<(string Literal, bool IsName, bool IsText)> _parts = [];

    public PromptTemplate(string template)
    {
        var position = 0;
        while (position < template.Length)
        {
            var name = template.IndexOf(NameHole, position, StringComparison.Ordinal);
            var text = template.IndexOf(TextHole, position, StringComparison.Ordinal);
            var next = (name, text) switch
            {
                (< 0, < 0) => -1,
                (< 0, _) => text,
                (_, < 0) => name,
                _ => Math.Min(name, text),
            };
            if (next < 0)
            {
                _parts.Add((template[position..], false, false));
                break;
            }

            if (next > position)
            {
                _parts.Add((template[position..next], false, false));
            }

            _parts.Add((string.Empty, next == name, next == text));
            position = next + TextHole.Length;
        }
    }

    public string Fill(string name, string text)
    {
        var builder = new StringBuilder(text.Length + 64);
        foreach (var (literal, isName, isText) in _parts)
        {
            builder.Append(isName ? name : isText ? text : literal);
        }

        return builder.ToString();
    }
}
