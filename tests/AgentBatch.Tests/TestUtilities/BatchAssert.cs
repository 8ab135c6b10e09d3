namespace AgentBatch.Tests;

/// <summary>Assertions shared by the tests of every provider.</summary>
internal static class BatchAssert
{
    /// <summary>
    /// The batch stopped on the first refusal: at most the items already in flight were sent, once each (no retries,
    /// nothing after the refusal), and every other item is skipped, not sent because the endpoint refused the batch, with
    /// the refusal as its error.
    /// </summary>
    /// <param name="result">The batch's result.</param>
    /// <param name="requestCount">The requests the endpoint received.</param>
    /// <param name="maxConcurrency">The batch's <c>MaxConcurrency</c>: the most items that can have been in flight.</param>
    /// <param name="assertRefusal">Checks a skipped item's error.</param>
    public static void StoppedAfterTheItemsInFlight<T>(BatchResult<T> result, int requestCount, int maxConcurrency, Action<Exception?> assertRefusal)
    {
        Assert.Equal(BatchStopReason.Faulted, result.StopReason);
        Assert.InRange(requestCount, 1, maxConcurrency);
        var sent = result.Items.Where(i => i.WasSent).ToList();
        Assert.Equal(requestCount, sent.Count);
        Assert.All(sent, i =>
        {
            Assert.Equal(BatchItemStatus.Failed, i.Status);
            Assert.Equal(1, i.Attempts);
        });
        Assert.All(result.Items.Where(i => !i.WasSent), i =>
        {
            Assert.Equal(BatchItemStatus.Skipped, i.Status);
            assertRefusal(i.Error);
            Assert.Equal(0, i.Attempts);
            Assert.Equal(BatchNotSentReason.EndpointRefused, i.NotSentReason);
        });
        Assert.True(result.SkippedCount > 0);
    }
}
