namespace AgentBatch.Hosting.Internal;

/// <summary>Where a <see cref="JournaledSpendLedger"/> keeps one run's figures: what it spent, and what its calls in flight reserved.</summary>
internal interface ISpendJournal
{
    /// <summary>Writes a reservation before its call is sent; returns its identifier.</summary>
    long Reserve(long tokens, decimal cost);

    /// <summary>Replaces a reservation with what its call was charged, in one transaction.</summary>
    void Settle(long reservationId, long tokens, decimal cost);

    /// <summary>Adds spend no reservation covered.</summary>
    void Charge(long tokens, decimal cost);
}
