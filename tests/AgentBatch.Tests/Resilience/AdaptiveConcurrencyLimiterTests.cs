using AgentBatch.Internal;

namespace AgentBatch.Tests.Resilience;

public sealed class AdaptiveConcurrencyLimiterTests
{
    [Fact]
    public void OnRateLimited_BurstFromOneEpoch_HalvesOnce()
    {
        var sut = new AdaptiveConcurrencyLimiter(16);
        var epoch = sut.Epoch;

        sut.OnRateLimited(epoch);
        sut.OnRateLimited(epoch);
        sut.OnRateLimited(epoch);

        Assert.Equal(8, sut.CurrentLimit);
    }

    [Fact]
    public void OnRateLimited_NewEpochs_HalveDownToOne()
    {
        var sut = new AdaptiveConcurrencyLimiter(16);

        for (var i = 0; i < 10; i++)
        {
            sut.OnRateLimited(sut.Epoch);
        }

        Assert.Equal(1, sut.CurrentLimit);
    }

    [Fact]
    public void OnSuccess_AfterAWindowOfSuccesses_RaisesByOneUpToMax()
    {
        var sut = new AdaptiveConcurrencyLimiter(4);
        sut.OnRateLimited(sut.Epoch);
        Assert.Equal(2, sut.CurrentLimit);

        sut.OnSuccess();
        Assert.Equal(2, sut.CurrentLimit);
        sut.OnSuccess();
        Assert.Equal(3, sut.CurrentLimit);

        for (var i = 0; i < 100; i++)
        {
            sut.OnSuccess();
        }

        Assert.Equal(4, sut.CurrentLimit);
    }

    [Fact]
    public async Task WaitAsync_AtTheLimit_WaitsForARelease()
    {
        var sut = new AdaptiveConcurrencyLimiter(2);
        await sut.WaitAsync(CancellationToken.None);
        await sut.WaitAsync(CancellationToken.None);

        var third = sut.WaitAsync(CancellationToken.None);
        Assert.False(third.IsCompleted);

        sut.Release();
        await third.WaitAsync(Signals<int>.Guard);
        Assert.Equal(2, sut.InFlight);
    }

    [Fact]
    public async Task WaitAsync_LimitLowered_NewItemsWaitUntilInFlightDropsBelowIt()
    {
        var sut = new AdaptiveConcurrencyLimiter(4);
        for (var i = 0; i < 4; i++)
        {
            await sut.WaitAsync(CancellationToken.None);
        }

        sut.OnRateLimited(sut.Epoch);
        var next = sut.WaitAsync(CancellationToken.None);

        sut.Release();
        sut.Release();
        Assert.False(next.IsCompleted);
        sut.Release();
        await next.WaitAsync(Signals<int>.Guard);
        Assert.Equal(2, sut.InFlight);
    }

    [Fact]
    public async Task WaitAsync_Canceled_ThrowsAndDoesNotTakeASlot()
    {
        var sut = new AdaptiveConcurrencyLimiter(1);
        await sut.WaitAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();

        var waiting = sut.WaitAsync(cts.Token);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        sut.Release();
        Assert.Equal(0, sut.InFlight);
        await sut.WaitAsync(CancellationToken.None).WaitAsync(Signals<int>.Guard);
    }
}
