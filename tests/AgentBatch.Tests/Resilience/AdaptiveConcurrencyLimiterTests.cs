using AgentBatch.Internal;

namespace AgentBatch.Tests.Resilience;

public sealed class AdaptiveConcurrencyLimiterTests
{
    [Fact]
    public void OnRateLimited_BurstFromOneEpoch_HalvesOnce()
    {
        var sut = new AdaptiveConcurrencyLimiter(new ConcurrencyWindow(16));
        var epoch = sut.Epoch;

        sut.OnRateLimited(epoch);
        sut.OnRateLimited(epoch);
        sut.OnRateLimited(epoch);

        Assert.Equal(8, sut.CurrentLimit);
    }

    [Fact]
    public void OnRateLimited_NewEpochs_HalveDownToOne()
    {
        var sut = new AdaptiveConcurrencyLimiter(new ConcurrencyWindow(16));

        for (var i = 0; i < 10; i++)
        {
            sut.OnRateLimited(sut.Epoch);
        }

        Assert.Equal(1, sut.CurrentLimit);
    }

    [Fact]
    public void OnSuccess_AfterAWindowOfSuccesses_RaisesByOneUpToMax()
    {
        var sut = new AdaptiveConcurrencyLimiter(new ConcurrencyWindow(4));
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
    public async Task OnRateLimited_ItemsInFlight_NewItemsWaitUntilInFlightDropsBelowTheNewLimit()
    {
        var window = new ConcurrencyWindow(4);
        var sut = new AdaptiveConcurrencyLimiter(window);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await window.WaitAsync(CancellationToken.None));
        }

        sut.OnRateLimited(sut.Epoch);
        var next = window.WaitAsync(CancellationToken.None).AsTask();

        window.Release();
        window.Release();
        Assert.False(next.IsCompleted);
        window.Release();
        Assert.True(await next.WaitAsync(Signals<int>.Guard));
        Assert.Equal(2, window.InFlight);
    }

    [Fact]
    public async Task OnSuccess_LimitRaised_LetsTheWaitingItemIn()
    {
        var window = new ConcurrencyWindow(2);
        var sut = new AdaptiveConcurrencyLimiter(window);
        sut.OnRateLimited(sut.Epoch);
        Assert.True(await window.WaitAsync(CancellationToken.None));
        var next = window.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);

        sut.OnSuccess();

        Assert.True(await next.WaitAsync(Signals<int>.Guard));
        Assert.Equal(2, window.InFlight);
    }
}
