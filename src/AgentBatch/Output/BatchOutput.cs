using System.Text.Json;
using AgentBatch.Internal;
using Microsoft.Extensions.AI;

namespace AgentBatch;

/// <summary>Output maps AgentBatch provides: typed output read from JSON.</summary>
public static class BatchOutput
{
    /// <summary>
    /// An output map that reads each reply as a <typeparamref name="T"/>: every model call of the item asks for the JSON
    /// schema of <typeparamref name="T"/> (unless the agent's options set a response format), the reply is read with
    /// <c>System.Text.Json</c> and checked with <typeparamref name="T"/>'s DataAnnotations, and a reply that does not read is
    /// repaired with one more turn on the same clone (<see cref="BatchOptions.OutputRepairAttempts"/>), counted as an attempt.
    /// </summary>
    /// <typeparam name="T">The output type.</typeparam>
    /// <param name="serializerOptions">The serializer options for the schema and the reading; <see langword="null"/> for Microsoft.Extensions.AI's defaults.</param>
    /// <returns>The output map, for any <c>RunBatchAsync</c> or <c>StreamBatchAsync</c> overload.</returns>
    /// <remarks>
    /// <para><c>var result = await runner.RunBatchAsync(template, docs, d =&gt; d.Text, BatchOutput.Json&lt;Summary&gt;());</c></para>
    /// <para>
    /// An item whose reply never reads fails with <see cref="StructuredOutputException"/>. Grouped requests
    /// (<see cref="BatchOptions.MaxItemsPerRequest"/> above 1) are refused with typed output: each reply is one item's JSON.
    /// </para>
    /// </remarks>
    public static Func<ChatResponse, T> Json<T>(JsonSerializerOptions? serializerOptions = null)
    {
        var reader = serializerOptions is null ? JsonOutputReader<T>.Default : new JsonOutputReader<T>(serializerOptions);
        return reader.Read;
    }
}
