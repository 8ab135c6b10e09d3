using AgentBatch.Internal;

namespace AgentBatch.Tests.Scheduling;

public sealed class ConcurrencyWindowTests
{
    [Fact]
    public async Task WaitAsync_AtTheLimit_WaitsForARelease()
    {
        var sut = new ConcurrencyWindow(2);
        Assert.True(await sut.WaitAsync(CancellationToken.None));
        Assert.True(await sut.WaitAsync(CancellationToken.None));

        var third = sut.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);

        sut.Release();
        Assert.True(await third.WaitAsync(Signals<int>.Guard));
        Assert.Equal(2, sut.InFlight);
    }

    [Fact]
    public async Task WaitAsync_Canceled_ReturnsFalseAndDoesNotTakeASlot()
    {
        var sut = new ConcurrencyWindow(1);
        Assert.True(await sut.WaitAsync(CancellationToken.None));
        using var cts = new CancellationTokenSource();

        var waiting = sut.WaitAsync(cts.Token).AsTask();
        cts.Cancel();

        Assert.False(await waiting.WaitAsync(Signals<int>.Guard));
        sut.Release();
        Assert.Equal(0, sut.InFlight);
        Assert.True(await sut.WaitAsync(CancellationToken.None).AsTask().WaitAsync(Signals<int>.Guard));
    }

    [Fact]
    public async Task WaitAsync_AlreadyCanceled_ReturnsFalseEvenWithRoom()
    {
        var sut = new ConcurrencyWindow(1);

        Assert.False(await sut.WaitAsync(new CancellationToken(canceled: true)));
        Assert.Equal(0, sut.InFlight);
    }

    [Fact]
    public async Task WaitAsync_ManyWaitsInTurn_ReusesTheWaiterCorrectly()
    {
        var sut = new ConcurrencyWindow(1);
        Assert.True(await sut.WaitAsync(CancellationToken.None));

        for (var i = 0; i < 100; i++)
        {
            var next = sut.WaitAsync(CancellationToken.None).AsTask();
            Assert.False(next.IsCompleted);
            sut.Release();
            Assert.True(await next.WaitAsync(Signals<int>.Guard));
        }

        Assert.Equal(1, sut.InFlight);
    }

    [Fact]
    public async Task WaitAsync_SecondWaiter_Throws()
    {
        var sut = new ConcurrencyWindow(1);
        Assert.True(await sut.WaitAsync(CancellationToken.None));
        var first = sut.WaitAsync(CancellationToken.None).AsTask();

        Assert.Throws<InvalidOperationException>(() => { _ = sut.WaitAsync(CancellationToken.None).AsTask(); });

        sut.Release();
        Assert.True(await first.WaitAsync(Signals<int>.Guard));
    }

    [Fact]
    public async Task Limit_Raised_LetsTheWaiterIn()
    {
        var sut = new ConcurrencyWindow(1);
        Assert.True(await sut.WaitAsync(CancellationToken.None));
        var next = sut.WaitAsync(CancellationToken.None).AsTask();

        sut.Limit = 2;

        Assert.True(await next.WaitAsync(Signals<int>.Guard));
        Assert.Equal(2, sut.InFlight);
    }
}
