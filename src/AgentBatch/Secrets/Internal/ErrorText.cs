using Polly.CircuitBreaker;
using Polly.Timeout;

namespace AgentBatch.Internal;

/// <summary>What of an error may go into a log line at Warning and above: text AgentBatch wrote, never a server's body.</summary>
internal static class ErrorText
{
    /// <summary>Describes an error for a one-line log message.</summary>
    /// <param name="error">The error.</param>
    /// <param name="fault">What the error's provider said of it, when known.</param>
    /// <remarks>
    /// An error of a model endpoint is described by its status only: its message carries the server's body, which may echo
    /// the request. AgentBatch's own errors (budgets, context window, turns, timeouts, an open circuit, bad input) are
    /// described by their message, which names no prompt or completion text. Anything else, a tool's or the user's own
    /// exception, by its type alone: its message may hold anything.
    /// </remarks>
    public static string Describe(Exception error, ModelFault? fault) => error switch
    {
        _ when fault is { StatusCode: > 0 } => $"HTTP {fault.StatusCode}{(fault.ErrorCode is { } code ? $" ({code})" : string.Empty)}",
        _ when fault is not null => "no response",
        BrokenCircuitException or TimeoutRejectedException or TimeoutException => error.Message,
        ArgumentException when error.TargetSite?.DeclaringType?.Namespace?.StartsWith("AgentBatch", StringComparison.Ordinal) == true => error.Message,
        _ when error.GetType().Namespace?.StartsWith("AgentBatch", StringComparison.Ordinal) == true => error.Message,
        _ => "(message not logged)",
    };
}
