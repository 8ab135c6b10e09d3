namespace AgentBatch.Hosting.PostgreSql.Internal;

/// <summary>What a shared spend account held when a reservation was judged.</summary>
internal readonly record struct SpendFigures(long SpentTokens, decimal SpentCost, long ReservedTokens, decimal ReservedCost, long Outstanding);
